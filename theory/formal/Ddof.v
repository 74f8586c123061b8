(* Ddof.v -- claim sec1-ddof-invariance: the Section 4 quantities under the
   paper code's ddof = 1 moments instead of the population moments (ddof = 0)
   used everywhere else here.

   Moments with a factor: for any c > 0 and weights v,
     var_c u = c Var(u),   sd_c u = sqrt(var_c u),   cov_c u u' = c Cov(u, u'),
   and sigma, the standardised coordinates, a, b and the cross-covariance C
   of Bound.v built from these instead of var, sd, cov.  With uniform weights
   1/n and c = n/(n-1) they are exactly the ddof-1 moments
   Sum_i (u_i - mean u)(u'_i - mean u')/(n - 1)        ([cov_ddof1], [var_ddof1]).

   What is proved, for every c > 0 and any weights (so for every n, K, M):
     sd_c_scale      sd_c u = sqrt c SD(u)
     llv_a_ddof      a_c = a,  llv_b_ddof  b_c = b   (the sqrt c cancels:
                     SD_c(l/(sqrt c s) - l'/(sqrt c s')) = SD(l/s - l'/s'))
     cross_cov_ddof  C_c = C: the standardised coordinates are divided by
                     sqrt c and Cov_c multiplies by c
     sigma_dist_ddof |sigma_c - sigma'_c| = sqrt c |sigma - sigma'|
   and for the terms of d_LLV as written in Metric.v (label side over the n
   inputs with weights w and factor cn, input side over the K labels with
   uniform weights 1/K and factor cK):
     T1_ddof, T2_ddof   T1, T2 unchanged
     T3_ddof, T4_ddof   T3, T4 multiplied by sqrt cn, sqrt cK.
   The input terms c_x, e_x are the label terms' formulas over the label
   index set with uniform weights: below they are literally [llv_a_c],
   [llv_b_c] instantiated with (n, w) := (K, 1/K), so the one generic
   development covers both sides, and [C_c = C] holds on either side
   ([cross_cov_ddof_input] is the instance).  [ddof1_invariance] puts it
   together for the paper code: uniform weights, cn = n/(n-1), cK = K/(K-1).

   m_SVD(C) = ||C||_*/M, d_SVD(C) = 1 - m_SVD(C) and d_{f,g} (a maximum of
   d_SVD over sides) are functions of C, so C_c = C makes them equal by
   congruence alone: [d_svd_ddof] does this step; it mentions the Parameter
   [nuclear_norm] of Bound.v (its only assumption), never the axiom
   [nuclear_norm_ge_abs_trace].  All other theorems here use no axiom.

   Division is mathcomp's total division (x / 0 = 0): no sigma > 0 is needed. *)

From mathcomp Require Import all_ssreflect all_algebra.
From Closeness Require Import Moments Bound Metric.

Set Implicit Arguments.
Unset Strict Implicit.
Unset Printing Implicit Defensive.

Import Order.TTheory GRing.Theory Num.Theory.
Local Open Scope ring_scope.

(* ---------------------------------------------------------------------- *)
(* Moments with a factor c, and the Section 4 quantities built from them.   *)
(* ---------------------------------------------------------------------- *)

Section Scaled.
Variables (R : rcfType) (m : nat) (v : 'I_m -> R) (c : R).

Definition var_c (u : 'I_m -> R) : R := c * var v u.
Definition sd_c (u : 'I_m -> R) : R := Num.sqrt (var_c u).
Definition cov_c (u u' : 'I_m -> R) : R := c * cov v u u'.
Definition standardise_c (u : 'I_m -> R) := fun i => (u i - mean v u) / sd_c u.

(* sigma, std_coord, llv_a, llv_b, cross_cov of Bound.v with sd_c, cov_c *)
Definition sigma_c (l l0 : 'I_m -> R) : R := sd_c (fun x => l x - l0 x).
Definition std_coord_c (l l0 : 'I_m -> R) := standardise_c (fun x => l x - l0 x).
Definition llv_a_c (l l0 l' l0' : 'I_m -> R) : R :=
  sd_c (fun x => l x / sigma_c l l0 - l' x / sigma_c l' l0').
Definition llv_b_c (l l0 l' l0' : 'I_m -> R) : R :=
  sd_c (fun x => l0 x / sigma_c l l0 - l0' x / sigma_c l' l0').
Definition cross_cov_c (M : nat) (u u' : 'I_M -> 'I_m -> R) : 'M[R]_M :=
  \matrix_(i, j) cov_c (u i) (u' j).

End Scaled.

Section ScaledLemmas.
Variables (R : rcfType) (m : nat) (v : 'I_m -> R) (c : R).
Hypothesis v_sum1 : \sum_i v i = 1.
Hypothesis c_gt0 : 0 < c.

Implicit Types (u : 'I_m -> R) (s : R).

Local Notation k := (Num.sqrt c).

Lemma sqrt_c_gt0 : 0 < k. Proof. by rewrite sqrtr_gt0. Qed.
Lemma sqrt_c_neq0 : k != 0. Proof. exact: lt0r_neq0 sqrt_c_gt0. Qed.

(* sd_c u = sqrt c SD(u) *)
Theorem sd_c_scale u : sd_c v c u = k * sd v u.
Proof. by rewrite /sd_c /var_c sqrtrM ?ltW. Qed.

(* the building block of a, b, c, e: the factor sqrt c cancels *)
Lemma sd_c_div u s u' s' :
  sd_c v c (fun i => u i / (k * s) - u' i / (k * s')) = sd v (fun i => u i / s - u' i / s').
Proof.
rewrite sd_c_scale (@eq_sd _ _ v _ (fun i => k^-1 * (u i / s - u' i / s'))); last first.
  by move=> i; rewrite mulrBr !invfM !mulrA ![k^-1 * _]mulrC.
by rewrite (sd_scale v_sum1) normfV ger0_norm ?ltW ?sqrt_c_gt0 // mulrA mulfV ?sqrt_c_neq0 ?mul1r.
Qed.

Lemma sigma_c_scale l l0 : sigma_c v c l l0 = k * Bound.sigma v l l0.
Proof. exact: sd_c_scale. Qed.

(* a_y (and c_x) is the same under both moments *)
Theorem llv_a_ddof l l0 l' l0' : llv_a_c v c l l0 l' l0' = llv_a v l l0 l' l0'.
Proof. by rewrite /llv_a_c !sigma_c_scale sd_c_div. Qed.

(* b_y (and e_x) is the same under both moments *)
Theorem llv_b_ddof l l0 l' l0' : llv_b_c v c l l0 l' l0' = llv_b v l l0 l' l0'.
Proof. by rewrite /llv_b_c !sigma_c_scale sd_c_div. Qed.

(* |sigma_c - sigma'_c| = sqrt c |sigma - sigma'| *)
Theorem sigma_dist_ddof l l0 l' l0' :
  `|sigma_c v c l l0 - sigma_c v c l' l0'| = k * `|Bound.sigma v l l0 - Bound.sigma v l' l0'|.
Proof. by rewrite !sigma_c_scale -mulrBr normrM ger0_norm ?ltW ?sqrt_c_gt0. Qed.

(* the standardised coordinate under moments c is the usual one over sqrt c *)
Lemma std_coord_c_scale l l0 x : std_coord_c v c l l0 x = k^-1 * std_coord v l l0 x.
Proof.
by rewrite /std_coord_c /standardise_c sd_c_scale invfM /std_coord /standardise mulrCA.
Qed.

(* C_ij = Cov_c(u_i/sqrt c, u'_j/sqrt c) = c/(sqrt c)^2 Cov(u_i, u'_j) *)
Theorem cross_cov_ddof (M : nat) (l l' : 'I_M -> 'I_m -> R) (l0 l0' : 'I_m -> R) :
  cross_cov_c v c (fun i => std_coord_c v c (l i) l0) (fun i => std_coord_c v c (l' i) l0')
  = cross_cov v (fun i => std_coord v (l i) l0) (fun i => std_coord v (l' i) l0').
Proof.
apply/matrixP => i j; rewrite !mxE /cov_c.
rewrite (@eq_cov _ _ v _ (fun x => k^-1 * std_coord v (l i) l0 x)
                     _ (fun x => k^-1 * std_coord v (l' j) l0' x)); last 2 first.
- exact: std_coord_c_scale.
- exact: std_coord_c_scale.
rewrite (cov_scalel v_sum1) (cov_scaler v_sum1) [k^-1 * (k^-1 * _)]mulrA -invfM -expr2.
by rewrite sqr_sqrtr ?ltW // mulrA mulfV ?mul1r ?lt0r_neq0.
Qed.

End ScaledLemmas.

(* m_SVD, d_SVD (hence d_{f,g}) are functions of C: equal by congruence.
   Print Assumptions: the Parameter [nuclear_norm] only. *)
Theorem d_svd_ddof (R : rcfType) (m M : nat) (v : 'I_m -> R) (c : R)
    (l l' : 'I_M -> 'I_m -> R) (l0 l0' : 'I_m -> R) :
  \sum_i v i = 1 -> 0 < c ->
  d_svd (cross_cov_c v c (fun i => std_coord_c v c (l i) l0) (fun i => std_coord_c v c (l' i) l0'))
  = d_svd (cross_cov v (fun i => std_coord v (l i) l0) (fun i => std_coord v (l' i) l0')).
Proof. by move=> v1 c0; rewrite cross_cov_ddof. Qed.

(* ---------------------------------------------------------------------- *)
(* The terms T1..T4 of d_LLV (Metric.v).                                    *)
(* ---------------------------------------------------------------------- *)

(* max_i (k f_i) = k max_i f_i for a factor k >= 0 *)
Lemma bmax_scale (R : realDomainType) (I : finType) (P : {pred I}) (f : I -> R) (k : R) :
  0 <= k -> \big[Num.max/0]_(i in P) (k * f i) = k * \big[Num.max/0]_(i in P) f i.
Proof.
move=> k0; symmetry; apply: (big_endo (fun x => k * x)) => [x y|]; last exact: mulr0.
exact: maxr_pmulr.
Qed.

Section Terms.
Variables (R : rcfType) (n K : nat) (w : 'I_n -> R) (cn cK : R).
Hypothesis w_sum1 : \sum_i w i = 1.
Hypothesis cn_gt0 : 0 < cn.
Hypothesis cK_gt0 : 0 < cK.
Hypothesis K_gt0 : (0 < K)%N.
Variables (y0 : 'I_K) (SY : {set 'I_K}) (x0 : 'I_n) (SX : {set 'I_n}).

Local Notation wK := (uniform R K).
Implicit Types l : model R n K.

(* label side: moments over the inputs x (weights w, factor cn) *)
Definition T1_c l l' := \big[Num.max/0]_(y in SY)
  Num.max (llv_a_c w cn (fun x => l x y) (fun x => l x y0) (fun x => l' x y) (fun x => l' x y0))
          (llv_b_c w cn (fun x => l x y) (fun x => l x y0) (fun x => l' x y) (fun x => l' x y0)).
Definition T3_c l l' := \big[Num.max/0]_(y in SY)
  `|sigma_c w cn (fun x => l x y) (fun x => l x y0) - sigma_c w cn (fun x => l' x y) (fun x => l' x y0)|.

(* input side: the same formulas over the labels y (weights 1/K, factor cK),
   with the roles of x and y swapped: c_x, e_x, s_x *)
Definition T2_c l l' := \big[Num.max/0]_(x in SX)
  Num.max (llv_a_c wK cK (fun y => l x y) (fun y => l x0 y) (fun y => l' x y) (fun y => l' x0 y))
          (llv_b_c wK cK (fun y => l x y) (fun y => l x0 y) (fun y => l' x y) (fun y => l' x0 y)).
Definition T4_c l l' := \big[Num.max/0]_(x in SX)
  `|sigma_c wK cK (fun y => l x y) (fun y => l x0 y) - sigma_c wK cK (fun y => l' x y) (fun y => l' x0 y)|.

Lemma wK_sum : \sum_i wK i = 1. Proof. exact: uniform_sum1 K_gt0. Qed.

(* T1 = max_y max(a_y, b_y) is the same under both moments *)
Theorem T1_ddof l l' : T1_c l l' = Metric.T1 w y0 SY l l'.
Proof. by apply: eq_bigr => y _; rewrite llv_a_ddof ?llv_b_ddof. Qed.

(* T2 = max_x max(c_x, e_x) is the same under both moments *)
Theorem T2_ddof l l' : T2_c l l' = Metric.T2 x0 SX l l'.
Proof. by apply: eq_bigr => x _; rewrite llv_a_ddof ?llv_b_ddof ?wK_sum. Qed.

(* T3 = max_y |sigma_y - sigma'_y| is multiplied by sqrt cn *)
Theorem T3_ddof l l' : T3_c l l' = Num.sqrt cn * Metric.T3 w y0 SY l l'.
Proof.
by rewrite -bmax_scale ?sqrtr_ge0 //; apply: eq_bigr => y _; rewrite sigma_dist_ddof.
Qed.

(* T4 = max_x |s_x - s'_x| is multiplied by sqrt cK *)
Theorem T4_ddof l l' : T4_c l l' = Num.sqrt cK * Metric.T4 x0 SX l l'.
Proof.
by rewrite -bmax_scale ?sqrtr_ge0 //; apply: eq_bigr => x _; rewrite sigma_dist_ddof.
Qed.

End Terms.

(* the input side's C (over the K labels, weights 1/K) is the same too:
   [cross_cov_ddof] instantiated with (m, v, c) := (K, 1/K, cK) *)
Corollary cross_cov_ddof_input (R : rcfType) (K M : nat) (cK : R)
    (g g' : 'I_M -> 'I_K -> R) (g0 g0' : 'I_K -> R) :
  (0 < K)%N -> 0 < cK ->
  cross_cov_c (uniform R K) cK (fun i => std_coord_c (uniform R K) cK (g i) g0)
                              (fun i => std_coord_c (uniform R K) cK (g' i) g0')
  = cross_cov (uniform R K) (fun i => std_coord (uniform R K) (g i) g0)
                            (fun i => std_coord (uniform R K) (g' i) g0').
Proof. by move=> K0 c0; rewrite cross_cov_ddof ?uniform_sum1. Qed.

(* ---------------------------------------------------------------------- *)
(* ddof 1 is the factor n/(n-1) (uniform weights 1/n).                      *)
(* ---------------------------------------------------------------------- *)

Section Ddof1.
Variables (R : rcfType) (n : nat).
Implicit Types u : 'I_n -> R.

Local Notation wn := (uniform R n).

(* the ddof-1 covariance Sum_i (u_i - mean u)(u'_i - mean u')/(n - 1) is
   cov_c with c = n/(n-1); the mean is the plain mean Sum_i u_i / n *)
Theorem cov_ddof1 u u' : (0 < n)%N ->
  (\sum_i (u i - mean wn u) * (u' i - mean wn u')) / (n%:R - 1)
  = cov_c wn (n%:R / (n%:R - 1)) u u'.
Proof.
move=> n0; rewrite /cov_c covdef -mulr_sumr /uniform.
by rewrite [n%:R / _]mulrC -mulrA mulVKf ?pnatr_eq0 -?lt0n // mulrC.
Qed.

(* Var_1(u) = Sum_i (u_i - mean u)^2/(n - 1) = n/(n-1) Var(u) *)
Theorem var_ddof1 u : (0 < n)%N ->
  (\sum_i (u i - mean wn u) ^+ 2) / (n%:R - 1) = n%:R / (n%:R - 1) * var wn u.
Proof. by move=> n0; under eq_bigr do rewrite expr2; apply: cov_ddof1. Qed.

(* the factor n/(n-1) is positive for n >= 2 *)
Lemma ddof1_factor_gt0 : (1 < n)%N -> 0 < n%:R / (n%:R - 1) :> R.
Proof.
move=> n1; rewrite divr_gt0 ?ltr0n ?(ltn_trans _ n1) // subr_gt0.
by rewrite -(ltr_nat R) in n1.
Qed.

End Ddof1.

(* ---------------------------------------------------------------------- *)
(* The paper code: ddof 1, uniform weights 1/n over the inputs.             *)
(* ---------------------------------------------------------------------- *)

(* Claim sec1-ddof-invariance: with cn = n/(n-1) and cK = K/(K-1) (the
   paper code's ddof-1 moments, by [var_ddof1]), T1 and T2 are unchanged,
   T3 and T4 are multiplied by sqrt(n/(n-1)) and sqrt(K/(K-1)), and the
   cross-covariance C of either side (hence m_SVD, d_SVD, d_{f,g}) is
   unchanged. *)
Theorem ddof1_invariance (R : rcfType) (n K M : nat) (y0 : 'I_K) (SY : {set 'I_K})
    (x0 : 'I_n) (SX : {set 'I_n}) (l l' : model R n K)
    (f f' : 'I_M -> 'I_n -> R) (f0 f0' : 'I_n -> R)
    (g g' : 'I_M -> 'I_K -> R) (g0 g0' : 'I_K -> R) :
  (1 < n)%N -> (1 < K)%N ->
  let wn := uniform R n in let wK := uniform R K in
  let cn := n%:R / (n%:R - 1) : R in let cK := K%:R / (K%:R - 1) : R in
  [/\ T1_c wn cn y0 SY l l' = Metric.T1 wn y0 SY l l',
      T2_c cK x0 SX l l' = Metric.T2 x0 SX l l',
      T3_c wn cn y0 SY l l' = Num.sqrt cn * Metric.T3 wn y0 SY l l'
    & T4_c cK x0 SX l l' = Num.sqrt cK * Metric.T4 x0 SX l l'] /\
  cross_cov_c wn cn (fun i => std_coord_c wn cn (f i) f0) (fun i => std_coord_c wn cn (f' i) f0')
    = cross_cov wn (fun i => std_coord wn (f i) f0) (fun i => std_coord wn (f' i) f0') /\
  cross_cov_c wK cK (fun i => std_coord_c wK cK (g i) g0) (fun i => std_coord_c wK cK (g' i) g0')
    = cross_cov wK (fun i => std_coord wK (g i) g0) (fun i => std_coord wK (g' i) g0').
Proof.
move=> n1 K1 wn wK cn cK.
have n0 : (0 < n)%N by apply: ltn_trans n1.
have K0 : (0 < K)%N by apply: ltn_trans K1.
have wn1 : \sum_i wn i = 1 by apply: uniform_sum1.
have wK1 : \sum_i wK i = 1 by apply: uniform_sum1.
have cn0 : 0 < cn by apply: ddof1_factor_gt0.
have cK0 : 0 < cK by apply: ddof1_factor_gt0.
split; first split.
- exact: T1_ddof.
- exact: T2_ddof.
- exact: T3_ddof.
- exact: T4_ddof.
- by split; apply: cross_cov_ddof.
Qed.
