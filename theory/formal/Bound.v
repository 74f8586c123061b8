(* Bound.v -- the Section 4 bound chain of the paper, for any number n of
   indices (inputs, weights w) and any dimension M.

   Label side: for each label y_i (i < M) of the chosen set and the pivot
   y_0, the vector x |-> l(y_i|x) - l(y_0|x) is coordinate i of L^T f(x);
   standardised, it is [std_coord].  The PLS-SVD dissimilarity of the two models
   is d_SVD(C) = 1 - (1/M) sum_k sigma_k(C) for C the M x M cross-covariance
   of the standardised coordinates ([cross_cov]).

   Chain (CLAIMS, Section 4):
     cov_identity      Cov(u, u') = 1 - Var(u - u')/2           (Var u = Var u' = 1)
     sd_difference     SD(u_i - u'_i) <= a_i + b_i
     trace_lower       tr C >= M (1 - 2 eps^2)
     m_svd_ge_trace    m_SVD(C) >= tr C / M                     (von Neumann)
     bound_sharp       d_SVD(C) <= min(1, 2 eps^2)
     bound_implies_paper  min(1, 2 eps^2) <= sqrt 2 eps <= 2 M eps
     bound             d_SVD(C) <= 2 M eps                      (the paper's bound)
   and the same for the input side (uniform weights 1/K over the K labels):
   [bound_input_side], [d_fg_bound].

   Scalars: any real closed field [R : rcfType]; every [realType] (e.g.
   mathcomp-analysis' reals) is one, so all statements apply there, and
   stating them over [rcfType] keeps them free of the classical axioms that
   the [realType] -> [rcfType] structure brings in.

   The only non-definitional ingredient is the nuclear norm (sum of the
   singular values), which mathcomp does not provide: it is the Parameter
   [nuclear_norm] with the single Axiom [nuclear_norm_ge_abs_trace]. *)

From mathcomp Require Import all_ssreflect all_algebra.
From Closeness Require Import Moments.

Set Implicit Arguments.
Unset Strict Implicit.
Unset Printing Implicit Defensive.

Import Order.TTheory GRing.Theory Num.Theory.
Local Open Scope ring_scope.

(* ---------------------------------------------------------------------- *)
(* The nuclear norm: the one assumed object.                                *)
(* ---------------------------------------------------------------------- *)

(* ||C||_* = sum_k sigma_k(C), the sum of the singular values of C. *)
Parameter nuclear_norm : forall (R : rcfType) (M : nat), 'M[R]_M -> R.
Arguments nuclear_norm {R M}.

(* von Neumann's trace inequality, in the form |tr C| <= sum_k sigma_k(C)
   (Horn & Johnson, Matrix Analysis, 2nd ed., Thm 7.4.1.1 with the identity
   matrix; equivalently |tr(C)| <= ||C||_* since the nuclear norm is the dual
   of the operator norm).  It also gives ||C||_* >= 0.  The axiom is
   consistent: C |-> |tr C| satisfies it. *)
Axiom nuclear_norm_ge_abs_trace :
  forall (R : rcfType) (M : nat) (C : 'M[R]_M), `|\tr C| <= nuclear_norm C.

Section NuclearNorm.
Variables (R : rcfType) (M : nat).
Implicit Types C : 'M[R]_M.

(* m_SVD(C) = (1/M) sum_k sigma_k(C) *)
Definition m_svd C : R := nuclear_norm C / M%:R.

(* d_SVD(C) = 1 - m_SVD(C) *)
Definition d_svd C : R := 1 - m_svd C.

Lemma nuclear_norm_ge_trace C : \tr C <= nuclear_norm C.
Proof. exact: le_trans (ler_norm _) (nuclear_norm_ge_abs_trace C). Qed.

Lemma nuclear_norm_ge0 C : 0 <= nuclear_norm C.
Proof. exact: le_trans (normr_ge0 _) (nuclear_norm_ge_abs_trace C). Qed.

(* m_SVD(C) >= tr C / M *)
Lemma m_svd_ge_trace C : \tr C / M%:R <= m_svd C.
Proof. by rewrite ler_wpmul2r ?invr_ge0 ?ler0n ?nuclear_norm_ge_trace. Qed.

Lemma m_svd_ge0 C : 0 <= m_svd C.
Proof. by rewrite divr_ge0 ?ler0n ?nuclear_norm_ge0. Qed.

(* d_SVD(C) <= 1 *)
Lemma d_svd_le1 C : d_svd C <= 1.
Proof. by rewrite /d_svd ger_addl oppr_le0 m_svd_ge0. Qed.

End NuclearNorm.

(* ---------------------------------------------------------------------- *)
(* Section 4 quantities over one index set with weights w.                 *)
(* ---------------------------------------------------------------------- *)

Section Quantities.
Variables (R : rcfType) (n : nat) (w : 'I_n -> R).

(* sigma_y = SD_x[l(y|x) - l(y_0|x)] *)
Definition sigma (l l0 : 'I_n -> R) : R := sd w (fun x => l x - l0 x).

(* the standardised coordinate: standardise(l(y|.) - l(y_0|.)) *)
Definition std_coord (l l0 : 'I_n -> R) : 'I_n -> R :=
  standardise w (fun x => l x - l0 x).

(* a_y = SD_x[l(y|x)/sigma_y - l'(y|x)/sigma'_y] *)
Definition llv_a (l l0 l' l0' : 'I_n -> R) : R :=
  sd w (fun x => l x / sigma l l0 - l' x / sigma l' l0').

(* b_y = SD_x[l(y_0|x)/sigma_y - l'(y_0|x)/sigma'_y] *)
Definition llv_b (l l0 l' l0' : 'I_n -> R) : R :=
  sd w (fun x => l0 x / sigma l l0 - l0' x / sigma l' l0').

(* C_ij = Cov(u_i, u'_j), the M x M cross-covariance *)
Definition cross_cov (M : nat) (u u' : 'I_M -> 'I_n -> R) : 'M[R]_M :=
  \matrix_(i, j) cov w (u i) (u' j).

End Quantities.

(* ---------------------------------------------------------------------- *)
(* The bound chain.                                                         *)
(* ---------------------------------------------------------------------- *)

Section Chain.
Variables (R : rcfType) (n : nat) (w : 'I_n -> R).
Hypothesis w_pos : forall i, 0 < w i.
Hypothesis w_sum1 : \sum_i w i = 1.

Lemma two_neq0 : 2 != 0 :> R.
Proof. by rewrite pnatr_eq0. Qed.

(* Claim sec4-bound-cov-identity: for standardised u, u' (Var = 1),
   Cov(u, u') = 1 - Var(u - u')/2. *)
Theorem cov_identity (u u' : 'I_n -> R) :
  var w u = 1 -> var w u' = 1 ->
  cov w u u' = 1 - var w (fun x => u x - u' x) / 2.
Proof.
move=> vu vu'; rewrite (var_sub w_sum1) vu vu'.
have -> : 1 + 1 - 2 * cov w u u' = (1 - cov w u u') * 2.
  by rewrite -mulr2n mulrBl mul1r (mulrC _ 2).
by rewrite mulfK ?two_neq0 // opprB addrC subrK.
Qed.

(* an abelian-group identity used by [sd_difference] *)
Lemma sub3_shuffle (A B C A' B' C' : R) :
  (A - B - C) - (A' - B' - C') = (A - A') - (B - B') + (C' - C).
Proof.
by rewrite !opprD !opprK !addrA !(addrAC _ (- C)) (addrAC A (- B) (- A')).
Qed.

(* Claim sec4-bound-sd-difference: with u = standardise(l_y - l_y0) and
   u' = standardise(l'_y - l'_y0), SD(u - u') <= a_y + b_y.  Centring is
   irrelevant (SD is shift invariant) and sigma, sigma' > 0 is not needed. *)
Theorem sd_difference (l l0 l' l0' : 'I_n -> R) :
  sd w (fun x => std_coord w l l0 x - std_coord w l' l0' x)
    <= llv_a w l l0 l' l0' + llv_b w l l0 l' l0'.
Proof.
pose s := sigma w l l0; pose s' := sigma w l' l0'.
pose c := mean w (fun x => l' x - l0' x) / s' - mean w (fun x => l x - l0 x) / s.
rewrite (@eq_sd _ _ w _ (fun x => (l x / s - l' x / s') - (l0 x / s - l0' x / s') + c)).
  by rewrite (sd_shift w_sum1) (sd_sub_le w_pos w_sum1).
by move=> x; rewrite /std_coord /standardise !mulrBl sub3_shuffle.
Qed.

(* Claim sec4-bound (trace step): if every diagonal pair of standardised
   coordinates has SD(u_i - u'_i) <= 2 eps, then tr C >= M (1 - 2 eps^2),
   since C_ii = 1 - Var(u_i - u'_i)/2 >= 1 - (2 eps)^2/2. *)
Theorem trace_lower (M : nat) (eps : R) (u u' : 'I_M -> 'I_n -> R) :
  (forall i, var w (u i) = 1) -> (forall i, var w (u' i) = 1) ->
  (forall i, sd w (fun x => u i x - u' i x) <= 2 * eps) ->
  M%:R * (1 - 2 * eps ^+ 2) <= \tr (cross_cov w u u').
Proof.
move=> vu vu' hsd.
have -> : M%:R * (1 - 2 * eps ^+ 2) = \sum_(i < M) (1 - 2 * eps ^+ 2).
  by rewrite sumr_const card_ord mulr_natl.
rewrite /mxtrace; apply: ler_sum => i _; rewrite mxE (cov_identity (vu i) (vu' i)).
rewrite ler_add2l ler_opp2 ler_pdivr_mulr ?ltr0n // -(sd_sqr w_pos).
have h0 := sd_ge0 w (fun x => u i x - u' i x).
rewrite expr2; apply: le_trans (ler_pmul h0 h0 (hsd i) (hsd i)) _.
by rewrite mulrACA [eps ^+ 2]expr2 mulrAC.
Qed.

(* Claim sec4-bound-sharp: if every coordinate pair is standardised
   (Var = 1) and SD(u_i - u'_i) <= a_i + b_i with a_i, b_i <= eps, then
   d_SVD(C) <= min(1, 2 eps^2). *)
Theorem bound_sharp (M : nat) (eps : R) (u u' : 'I_M -> 'I_n -> R) (a b : 'I_M -> R) :
  (0 < M)%N ->
  (forall i, var w (u i) = 1) -> (forall i, var w (u' i) = 1) ->
  (forall i, sd w (fun x => u i x - u' i x) <= a i + b i) ->
  (forall i, a i <= eps) -> (forall i, b i <= eps) ->
  d_svd (cross_cov w u u') <= Num.min 1 (2 * eps ^+ 2).
Proof.
move=> M0 vu vu' hsd ha hb; rewrite le_minr d_svd_le1 /=.
have h2 i : sd w (fun x => u i x - u' i x) <= 2 * eps.
  by rewrite mulr_natl mulr2n; apply: le_trans (hsd i) (ler_add (ha i) (hb i)).
have htr := trace_lower vu vu' h2.
have hm : 1 - 2 * eps ^+ 2 <= m_svd (cross_cov w u u').
  apply: le_trans (m_svd_ge_trace _).
  by rewrite ler_pdivl_mulr ?ltr0n // mulrC.
by rewrite /d_svd ler_subl_addr -ler_subl_addl.
Qed.

End Chain.

(* ---------------------------------------------------------------------- *)
(* The sharp bound implies the paper's bound.                               *)
(* ---------------------------------------------------------------------- *)

Section Paper.
Variable R : rcfType.
Implicit Types eps : R.

Lemma sqrt2_le2 : Num.sqrt 2 <= 2 :> R.
Proof.
have h : (2 : R) <= 2 ^+ 2 by rewrite expr2 -natrM ler_nat.
by apply: le_trans (ler_wsqrtr h) _; rewrite sqrtr_sqr normr_nat.
Qed.

(* Claim sec4-bound-implies-paper (first step): min(1, 2 eps^2) <= sqrt 2 eps,
   with t = sqrt 2 eps: min(1, t^2) <= t (t^2 <= t when t <= 1). *)
Lemma min_le_sqrt2 eps : 0 <= eps -> Num.min 1 (2 * eps ^+ 2) <= Num.sqrt 2 * eps.
Proof.
move=> e0; set t := Num.sqrt 2 * eps.
have t0 : 0 <= t by rewrite mulr_ge0 ?sqrtr_ge0.
have -> : 2 * eps ^+ 2 = t ^+ 2 by rewrite exprMn sqr_sqrtr ?ler0n.
rewrite le_minl; case: (leP t 1) => ht.
  by rewrite expr2 ler_pimulr ?orbT.
by rewrite (ltW ht).
Qed.

(* Claim sec4-bound-implies-paper (second step): sqrt 2 eps <= 2 M eps for M >= 1. *)
Lemma sqrt2_le_2M eps (M : nat) :
  0 <= eps -> (0 < M)%N -> Num.sqrt 2 * eps <= 2 * M%:R * eps.
Proof.
move=> e0 M0; apply: ler_wpmul2r => //; apply: le_trans sqrt2_le2 _.
by rewrite ler_pmulr ?ltr0n // ler1n.
Qed.

(* Claim sec4-bound-implies-paper: min(1, 2 eps^2) <= 2 M eps for eps >= 0, M >= 1. *)
Theorem bound_implies_paper eps (M : nat) :
  0 <= eps -> (0 < M)%N -> Num.min 1 (2 * eps ^+ 2) <= 2 * M%:R * eps.
Proof.
by move=> e0 M0; apply: le_trans (min_le_sqrt2 e0) (sqrt2_le_2M e0 M0).
Qed.

End Paper.

(* ---------------------------------------------------------------------- *)
(* The paper's bound, one side at a time, then both sides.                  *)
(* ---------------------------------------------------------------------- *)

Section Main.
Variables (R : rcfType) (n : nat) (w : 'I_n -> R).
Hypothesis w_pos : forall i, 0 < w i.
Hypothesis w_sum1 : \sum_i w i = 1.

(* Claim sec4-bound (the paper's statement): under the hypotheses of
   [bound_sharp], d_SVD(C) <= 2 M eps. *)
Theorem bound (M : nat) (eps : R) (u u' : 'I_M -> 'I_n -> R) (a b : 'I_M -> R) :
  (0 < M)%N ->
  (forall i, var w (u i) = 1) -> (forall i, var w (u' i) = 1) ->
  (forall i, sd w (fun x => u i x - u' i x) <= a i + b i) ->
  (forall i, a i <= eps) -> (forall i, b i <= eps) ->
  d_svd (cross_cov w u u') <= 2 * M%:R * eps.
Proof.
move=> M0 vu vu' hsd ha hb.
have e0 : 0 <= eps.
  pose i0 : 'I_M := Ordinal M0.
  have h : 0 <= eps + eps.
    exact: le_trans (sd_ge0 _ _) (le_trans (hsd i0) (ler_add (ha i0) (hb i0))).
  by move: h; rewrite -mulr2n -mulr_natl pmulr_rge0 ?ltr0n.
apply: le_trans (bound_sharp w_pos w_sum1 M0 vu vu' hsd ha hb) _.
exact: bound_implies_paper.
Qed.

(* One side of d_{f,g}, from the log-likelihoods: l i = l(y_i | .) for the
   M chosen labels, l0 = l(y_0 | .) for the pivot (primes: the second
   model); coordinates standardise(l_i - l0); a_i, b_i <= eps (i.e. the
   label terms of d_LLV are <= eps). *)
Theorem bound_llv (M : nat) (eps : R) (l l' : 'I_M -> 'I_n -> R) (l0 l0' : 'I_n -> R) :
  (0 < M)%N ->
  (forall i, 0 < sigma w (l i) l0) -> (forall i, 0 < sigma w (l' i) l0') ->
  (forall i, llv_a w (l i) l0 (l' i) l0' <= eps) ->
  (forall i, llv_b w (l i) l0 (l' i) l0' <= eps) ->
  let C := cross_cov w (fun i => std_coord w (l i) l0) (fun i => std_coord w (l' i) l0') in
  d_svd C <= Num.min 1 (2 * eps ^+ 2) /\ d_svd C <= 2 * M%:R * eps.
Proof.
move=> M0 s0 s0' ha hb C.
have vu i : var w (std_coord w (l i) l0) = 1.
  by apply: (var_standardise w_pos w_sum1); exact: s0.
have vu' i : var w (std_coord w (l' i) l0') = 1.
  by apply: (var_standardise w_pos w_sum1); exact: s0'.
have hsd i := sd_difference w_pos w_sum1 (l i) l0 (l' i) l0'.
pose a i := llv_a w (l i) l0 (l' i) l0'; pose b i := llv_b w (l i) l0 (l' i) l0'.
split; first exact: (bound_sharp (a := a) (b := b) w_pos w_sum1 M0 vu vu' hsd ha hb).
exact: (bound (a := a) (b := b) M0 vu vu' hsd ha hb).
Qed.

End Main.

(* ---------------------------------------------------------------------- *)
(* The input side: moments over the K labels with uniform weights 1/K.      *)
(* ---------------------------------------------------------------------- *)

Section InputSide.
Variable R : rcfType.

(* Claim sec4-bound, input side: g i = l(. | x_i) over the K labels for the
   M chosen inputs, g0 = l(. | x_0) for the pivot input (primes: the second
   model); the input terms c_x, e_x of d_LLV are [llv_a], [llv_b] with
   uniform weights.  Same theorem, instantiated with n := K, w := 1/K. *)
Theorem bound_input_side (K M : nat) (eps : R) (g g' : 'I_M -> 'I_K -> R) (g0 g0' : 'I_K -> R) :
  (0 < K)%N -> (0 < M)%N ->
  (forall i, 0 < sigma (uniform R K) (g i) g0) -> (forall i, 0 < sigma (uniform R K) (g' i) g0') ->
  (forall i, llv_a (uniform R K) (g i) g0 (g' i) g0' <= eps) ->
  (forall i, llv_b (uniform R K) (g i) g0 (g' i) g0' <= eps) ->
  let C := cross_cov (uniform R K) (fun i => std_coord (uniform R K) (g i) g0)
                                 (fun i => std_coord (uniform R K) (g' i) g0') in
  d_svd C <= Num.min 1 (2 * eps ^+ 2) /\ d_svd C <= 2 * M%:R * eps.
Proof. by move=> K0; apply: (@bound_llv R K (uniform R K) (@uniform_pos R K K0) (@uniform_sum1 R K K0)). Qed.

(* Claim sec4-bound for d_{f,g} = max(label side, input side) (for one choice
   of the M labels; the max over label subsets is the same bound for each):
   if every label term and every input term of d_LLV is <= eps, then
   d_{f,g} <= min(1, 2 eps^2) <= 2 M eps. *)
Theorem d_fg_bound (n K M : nat) (w : 'I_n -> R) (eps : R)
    (l l' : 'I_M -> 'I_n -> R) (l0 l0' : 'I_n -> R)
    (g g' : 'I_M -> 'I_K -> R) (g0 g0' : 'I_K -> R) :
  (forall x, 0 < w x) -> \sum_x w x = 1 -> (0 < K)%N -> (0 < M)%N ->
  (forall i, 0 < sigma w (l i) l0) -> (forall i, 0 < sigma w (l' i) l0') ->
  (forall i, llv_a w (l i) l0 (l' i) l0' <= eps) ->
  (forall i, llv_b w (l i) l0 (l' i) l0' <= eps) ->
  (forall i, 0 < sigma (uniform R K) (g i) g0) -> (forall i, 0 < sigma (uniform R K) (g' i) g0') ->
  (forall i, llv_a (uniform R K) (g i) g0 (g' i) g0' <= eps) ->
  (forall i, llv_b (uniform R K) (g i) g0 (g' i) g0' <= eps) ->
  let d_label := d_svd (cross_cov w (fun i => std_coord w (l i) l0)
                                    (fun i => std_coord w (l' i) l0')) in
  let d_input := d_svd (cross_cov (uniform R K) (fun i => std_coord (uniform R K) (g i) g0)
                                              (fun i => std_coord (uniform R K) (g' i) g0')) in
  Num.max d_label d_input <= Num.min 1 (2 * eps ^+ 2) /\
  Num.max d_label d_input <= 2 * M%:R * eps.
Proof.
move=> w_pos w_sum1 K0 M0 s0 s0' ha hb t0 t0' hc he dl di.
have [hl1 hl2] := bound_llv w_pos w_sum1 M0 s0 s0' ha hb.
have [hi1 hi2] := bound_input_side K0 M0 t0 t0' hc he.
by rewrite !le_maxl hl1 hl2 hi1 hi2.
Qed.

End InputSide.
