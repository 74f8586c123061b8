(* Invariance.v -- claim sec4-invariance (Section 4 of the paper): d_LLV,
   d_KL and d_{f,g} are 0 on ~_L-equivalent pairs and unchanged when either
   model is replaced by a ~_L-equivalent one.

   Models are pairs (F, G) as in Identifiability.v, ~_L is its [equiv_L]
   (any pivot label), and l = [log_probs F G] are the log-probabilities.
   Theorem 2.2 ("if", [thm2_2_if]) gives equal probabilities, hence equal
   log-probabilities ([equiv_L_log_probs]); each distance is a function of
   the log-probabilities, so the rest is congruence:
     d_LLV    Metric.v's [d_llv] (and [d_llv_sum]) of l, l'        [d_llv_eq2]
     d_KL     sum_x w_x sum_y p(y|x) (l(y|x) - l'(y|x)), p = exp l [d_kl]
     d_{f,g}  Scale.v's [d_fg] for models: d_SVD of the label side's
              cross-covariance of std_coord(l(y_i|.), l(y_0|.)) (over the
              inputs, weights w) and of the input side's of
              std_coord(l(.|x_i), l(.|x_0)) (over the labels, weights 1/K)
                                                                [d_fg_log_probs]
   The label coordinates are the standardised (L^T f(x))_i and the input
   coordinates the standardised (N^T g(y))_i ([std_L_tr_emb],
   [std_N_tr_unemb], from Identifiability.v's key identities), so the same
   holds for d_{f,g} computed from L^T f and N^T g.

   Main theorems (pivots, sets, weights and lam arbitrary):
     d_llv_equiv_replace, d_kl_equiv_replace, d_fg_equiv_replace
         (F1,G1) ~_L (F2,G2) and (F1',G1') ~_L (F2',G2')  ->
         d((F1,G1), (F1',G1')) = d((F2,G2), (F2',G2'))
         (one side alone: take the other pair equal, [equiv_L_refl])
     d_llv_equiv_zero (and d_llv_sum_equiv_zero), d_kl_equiv_zero, d_fg_equiv_zero
         (F,G) ~_L (F',G')  ->  d((F,G), (F',G')) = 0
   d_llv_equiv_zero (as Metric.v's [d_llv_self]) needs the weights w
   positive and summing to one; d_fg_equiv_zero needs that, M > 0 and every
   standardisation defined (the SDs of the coordinates of (F,G) are > 0):
   then C = Cov(u, u) with Var u_i = 1, so tr C = M, and ||C||_* = tr C
   because C is a weighted Gram matrix (positive semi-definite).  The nuclear
   norm is Bound.v's Parameter, of which Bound.v assumes only
   |tr C| <= ||C||_*; the equality for Gram matrices is the one new axiom
   [nuclear_norm_psd] below.  No other theorem uses a project axiom:
   besides mathcomp-analysis' classical axioms (through exp and ln), they
   mention at most the Parameter [nuclear_norm] (d_fg_equiv_replace, through
   d_SVD, as Scale.v's d_fg_scale). *)

Set Warnings "-notation-overridden,-ambiguous-paths".
From mathcomp Require Import all_ssreflect all_algebra.
From mathcomp.analysis Require Import reals sequences exp.
From Closeness Require Import Moments Bound Metric Identifiability Scale.

Set Implicit Arguments.
Unset Strict Implicit.
Unset Printing Implicit Defensive.

Import Order.TTheory GRing.Theory Num.Theory.
Local Open Scope ring_scope.

(* ---------------------------------------------------------------------- *)
(* The nuclear norm of a weighted Gram matrix.                              *)
(* ---------------------------------------------------------------------- *)

(* ||X^T W X||_* = tr(X^T W X) for W = diag(w), w >= 0.  C = X^T W X is
   symmetric positive semi-definite (v^T C v = sum_x w_x ((X v)_x)^2 >= 0);
   for such a C the singular values are the eigenvalues (spectral theorem;
   Horn & Johnson, Matrix Analysis, 2nd ed., Thm 7.3.2 and Cor. 7.1.5),
   which are non-negative and sum to the trace.  Consistency with Bound.v's
   [nuclear_norm_ge_abs_trace]: the true nuclear norm satisfies both, and
   here tr C >= 0, so |tr C| = tr C = ||C||_*, the equality case. *)
Axiom nuclear_norm_psd :
  forall (R : rcfType) (n M : nat) (w : 'I_n -> R) (X : 'M[R]_(n, M)),
  (forall x, 0 <= w x) ->
  nuclear_norm (X^T *m diag_mx (\row_x w x) *m X) = \tr (X^T *m diag_mx (\row_x w x) *m X).

Section Gram.
Variables (R : rcfType) (n M : nat) (w : 'I_n -> R).
Implicit Types u : 'I_M -> 'I_n -> R.

(* the centred data matrix: column i is u_i - E u_i *)
Definition centred_data u : 'M[R]_(n, M) := \matrix_(x, i) (u i x - mean w (u i)).

(* Cov(u, u) = X^T W X *)
Lemma cross_cov_gram u :
  cross_cov w u u = (centred_data u)^T *m diag_mx (\row_x w x) *m centred_data u.
Proof.
apply/matrixP => i j; rewrite mul_mx_diag !mxE covdef.
by apply: eq_bigr => x _; rewrite !mxE mulrCA mulrA.
Qed.

(* d_SVD(Cov(u, u)) = 0 when every u_i has variance one *)
Lemma d_svd_cross_cov_self u :
  (forall x, 0 <= w x) -> (0 < M)%N -> (forall i, var w (u i) = 1) ->
  d_svd (cross_cov w u u) = 0.
Proof.
move=> w_ge0 M0 vu; rewrite /d_svd /m_svd cross_cov_gram nuclear_norm_psd //.
rewrite -cross_cov_gram /mxtrace (eq_bigr (fun=> 1)) => [|i _]; last first.
  by rewrite mxE; exact: vu.
rewrite sumr_const card_ord -[_ *+ M]mulr_natl mulr1 mulfV ?subrr //.
by rewrite pnatr_eq0 -lt0n.
Qed.

End Gram.

(* ---------------------------------------------------------------------- *)
(* Equivalent models have the same log-probabilities.                       *)
(* ---------------------------------------------------------------------- *)

Section Equiv.
Variables (R : realType) (n K M : nat).
Implicit Types (F : 'M[R]_(n, M)) (G : 'M[R]_(K, M)).

Lemma equiv_L_refl F G yp : equiv_L F G F G yp.
Proof.
by exists 1%:M; split=> [|x|y]; rewrite ?unitmx1 ?invmx1 ?trmx1 ?mul1mx.
Qed.

(* Theorem 2.2 ("if"), in log-probabilities: l = l' *)
Lemma equiv_L_log_probs F G F' G' yp :
  equiv_L F G F' G' yp -> forall x y, log_probs F G x y = log_probs F' G' x y.
Proof. by move=> /thm2_2_if e x y; rewrite /log_probs e. Qed.

End Equiv.

(* ---------------------------------------------------------------------- *)
(* d_LLV.                                                                   *)
(* ---------------------------------------------------------------------- *)

Section LLV.
Variables (R : rcfType) (n K : nat) (w : 'I_n -> R).
Variables (y0 : 'I_K) (SY : {set 'I_K}) (x0 : 'I_n) (SX : {set 'I_n}).
Implicit Types (l : model R n K) (lam : R).

(* the four terms of d_LLV depend on the models only through their values *)
Lemma terms_eq2 l1 l2 l1' l2' : l1 =2 l2 -> l1' =2 l2' ->
  [/\ T1 w y0 SY l1 l1' = T1 w y0 SY l2 l2', T2 x0 SX l1 l1' = T2 x0 SX l2 l2',
      T3 w y0 SY l1 l1' = T3 w y0 SY l2 l2' & T4 x0 SX l1 l1' = T4 x0 SX l2 l2'].
Proof.
move=> e e'.
have es (m m' : model R n K) :
    m =2 m' -> forall y, Metric.sigma w y0 m y = Metric.sigma w y0 m' y.
  by move=> h y; apply: eq_sd => x; rewrite !h.
have ex (m m' : model R n K) : m =2 m' -> forall x, s_x x0 m x = s_x x0 m' x.
  by move=> h x; apply: eq_sd => y; rewrite !h.
split; apply: eq_bigr => i _.
- rewrite /a_y /b_y /sd_diff (es _ _ e) (es _ _ e').
  by congr Num.max; apply: eq_sd => x; rewrite e e'.
- rewrite /c_x /e_x /sd_diff (ex _ _ e) (ex _ _ e').
  by congr Num.max; apply: eq_sd => y; rewrite e e'.
- by rewrite (es _ _ e) (es _ _ e').
- by rewrite (ex _ _ e) (ex _ _ e').
Qed.

Lemma d_llv_eq2 lam l1 l2 l1' l2' : l1 =2 l2 -> l1' =2 l2' ->
  d_llv w y0 SY x0 SX lam l1 l1' = d_llv w y0 SY x0 SX lam l2 l2'.
Proof. by move=> e e'; rewrite /d_llv; have [-> -> -> ->] := terms_eq2 e e'. Qed.

Lemma d_llv_sum_eq2 lam l1 l2 l1' l2' : l1 =2 l2 -> l1' =2 l2' ->
  d_llv_sum w y0 SY x0 SX lam l1 l1' = d_llv_sum w y0 SY x0 SX lam l2 l2'.
Proof. by move=> e e'; rewrite /d_llv_sum; have [-> -> -> ->] := terms_eq2 e e'. Qed.

End LLV.

(* ---------------------------------------------------------------------- *)
(* d_KL.                                                                    *)
(* ---------------------------------------------------------------------- *)

(* d_KL(l, l') = sum_x w_x sum_y p(y|x) (l(y|x) - l'(y|x)),  p = exp l *)
Definition d_kl (R : realType) (n K : nat) (w : 'I_n -> R) (l l' : model R n K) : R :=
  \sum_x w x * \sum_y expR (l x y) * (l x y - l' x y).

Lemma d_kl_eq2 (R : realType) (n K : nat) (w : 'I_n -> R) (l1 l2 l1' l2' : model R n K) :
  l1 =2 l2 -> l1' =2 l2' -> d_kl w l1 l1' = d_kl w l2 l2'.
Proof.
by move=> e e'; apply: eq_bigr => x _; congr (_ * _); apply: eq_bigr => y _; rewrite e e'.
Qed.

(* for models: the usual sum_x w_x sum_y p ln(p/p'), written with ln p - ln p' *)
Lemma d_kl_prob (R : realType) (n K M : nat) (w : 'I_n -> R)
    (F F' : 'M[R]_(n, M)) (G G' : 'M[R]_(K, M)) :
  d_kl w (log_probs F G) (log_probs F' G') =
  \sum_x w x * \sum_y prob F G x y * (ln (prob F G x y) - ln (prob F' G' x y)).
Proof.
apply: eq_bigr => x _; congr (_ * _); apply: eq_bigr => y _.
by rewrite /log_probs lnK // posrE prob_gt0.
Qed.

(* ---------------------------------------------------------------------- *)
(* d_{f,g}.                                                                 *)
(* ---------------------------------------------------------------------- *)

Section FG.
Variables (R : realType) (n K M : nat) (w : 'I_n -> R).
Implicit Types (F : 'M[R]_(n, M)) (G : 'M[R]_(K, M)).

Local Notation lp := log_probs.

(* the label coordinate standardise((L^T f(.))_i) is std_coord(l(y_i|.), l(y_0|.)) *)
Lemma std_L_tr_emb F G y0 ys i :
  standardise w (fun x => ((L G y0 ys)^T *m emb F x) i ord0)
  =1 std_coord w (fun x => lp F G x (ys i)) (fun x => lp F G x y0).
Proof. by apply: eq_standardise => x; rewrite L_tr_emb_log_probs mxE. Qed.

(* the input coordinate standardise((N^T g(.))_i) is std_coord(l(.|x_i), l(.|x_0)) *)
Lemma std_N_tr_unemb F G x0 xs i :
  standardise (uniform R K) (fun y => ((N F x0 xs)^T *m unemb G y) i ord0)
  =1 std_coord (uniform R K) (fun y => lp F G (xs i) y) (fun y => lp F G x0 y).
Proof.
move=> y; have u1 : \sum_j uniform R K j = 1.
  by apply: uniform_sum1; exact: leq_ltn_trans (leq0n y) (ltn_ord y).
rewrite /std_coord -[RHS](standardise_shift u1 (lse F G (xs i) - lse F G x0)).
by apply: eq_standardise => y'; rewrite N_tr_unemb_log_probs mxE.
Qed.

Section Congruence.
Variables (F1 F2 F1' F2' : 'M[R]_(n, M)) (G1 G2 G1' G2' : 'M[R]_(K, M)).
Hypothesis e : forall x y, lp F1 G1 x y = lp F2 G2 x y.
Hypothesis e' : forall x y, lp F1' G1' x y = lp F2' G2' x y.

Lemma label_C_eq2 y0 ys : label_C w F1 G1 F1' G1' y0 ys = label_C w F2 G2 F2' G2' y0 ys.
Proof.
apply: eq_mx => i j; apply: eq_cov; apply: eq_standardise => x; first by rewrite !e.
by rewrite !e'.
Qed.

Lemma input_C_eq2 x0 xs : input_C F1 G1 F1' G1' x0 xs = input_C F2 G2 F2' G2' x0 xs.
Proof.
apply: eq_mx => i j; apply: eq_cov; apply: eq_standardise => y; first by rewrite !e.
by rewrite !e'.
Qed.

(* d_{f,g} depends on the models only through their log-probabilities *)
Theorem d_fg_log_probs y0 (I : finType) (S : {set I}) ys x0 xs :
  d_fg w F1 G1 F1' G1' y0 S ys x0 xs = d_fg w F2 G2 F2' G2' y0 S ys x0 xs.
Proof.
rewrite /d_fg; apply: (f_equal2 Num.max); last by rewrite input_C_eq2.
by apply: eq_bigr => s _; rewrite label_C_eq2.
Qed.

End Congruence.

End FG.

(* ---------------------------------------------------------------------- *)
(* Claim sec4-invariance.                                                   *)
(* ---------------------------------------------------------------------- *)

Section Invariance.
Variables (R : realType) (n K M : nat) (w : 'I_n -> R).
Implicit Types (F : 'M[R]_(n, M)) (G : 'M[R]_(K, M)) (yp : 'I_K).

Local Notation lp := log_probs.

(* ---------- replacing either model by a ~_L-equivalent one ---------- *)

Theorem d_llv_equiv_replace (y0 : 'I_K) (SY : {set 'I_K}) (x0 : 'I_n) (SX : {set 'I_n})
    (lam : R) F1 G1 F2 G2 F1' G1' F2' G2' yp yp' :
  equiv_L F1 G1 F2 G2 yp -> equiv_L F1' G1' F2' G2' yp' ->
  d_llv w y0 SY x0 SX lam (lp F1 G1) (lp F1' G1') =
  d_llv w y0 SY x0 SX lam (lp F2 G2) (lp F2' G2').
Proof.
by move=> /equiv_L_log_probs e /equiv_L_log_probs e'; exact: (d_llv_eq2 w y0 SY x0 SX lam e e').
Qed.

Theorem d_kl_equiv_replace F1 G1 F2 G2 F1' G1' F2' G2' yp yp' :
  equiv_L F1 G1 F2 G2 yp -> equiv_L F1' G1' F2' G2' yp' ->
  d_kl w (lp F1 G1) (lp F1' G1') = d_kl w (lp F2 G2) (lp F2' G2').
Proof.
by move=> /equiv_L_log_probs e /equiv_L_log_probs e'; exact: (d_kl_eq2 w e e').
Qed.

Theorem d_fg_equiv_replace (y0 : 'I_K) (I : finType) (S : {set I}) (ys : I -> 'I_M -> 'I_K)
    (x0 : 'I_n) (xs : 'I_M -> 'I_n) F1 G1 F2 G2 F1' G1' F2' G2' yp yp' :
  equiv_L F1 G1 F2 G2 yp -> equiv_L F1' G1' F2' G2' yp' ->
  d_fg w F1 G1 F1' G1' y0 S ys x0 xs = d_fg w F2 G2 F2' G2' y0 S ys x0 xs.
Proof.
by move=> /equiv_L_log_probs e /equiv_L_log_probs e'; exact: (d_fg_log_probs w e e').
Qed.

(* ---------- zero on ~_L-equivalent pairs ---------- *)

Theorem d_llv_equiv_zero (y0 : 'I_K) (SY : {set 'I_K}) (x0 : 'I_n) (SX : {set 'I_n})
    (lam : R) F G F' G' yp :
  (forall x, 0 < w x) -> \sum_x w x = 1 ->
  equiv_L F G F' G' yp -> d_llv w y0 SY x0 SX lam (lp F G) (lp F' G') = 0.
Proof.
move=> w_pos w_sum1 /equiv_L_log_probs e.
have e2 : lp F' G' =2 lp F G by move=> x y; rewrite e.
by rewrite (@d_llv_eq2 _ _ _ w y0 SY x0 SX lam (lp F G) (lp F G) (lp F' G') (lp F G)
              (fun _ _ => erefl) e2) d_llv_self.
Qed.

Theorem d_llv_sum_equiv_zero (y0 : 'I_K) (SY : {set 'I_K}) (x0 : 'I_n) (SX : {set 'I_n})
    (lam : R) F G F' G' yp :
  (forall x, 0 < w x) -> \sum_x w x = 1 ->
  equiv_L F G F' G' yp -> d_llv_sum w y0 SY x0 SX lam (lp F G) (lp F' G') = 0.
Proof.
move=> w_pos w_sum1 /equiv_L_log_probs e.
have e2 : lp F' G' =2 lp F G by move=> x y; rewrite e.
by rewrite (@d_llv_sum_eq2 _ _ _ w y0 SY x0 SX lam (lp F G) (lp F G) (lp F' G') (lp F G)
              (fun _ _ => erefl) e2) d_llv_sum_self.
Qed.

Theorem d_kl_equiv_zero F G F' G' yp :
  equiv_L F G F' G' yp -> d_kl w (lp F G) (lp F' G') = 0.
Proof.
move=> /equiv_L_log_probs e; rewrite /d_kl big1 // => x _.
by rewrite big1 ?mulr0 // => y _; rewrite e subrr mulr0.
Qed.

(* d_{f,g} = 0: every standardisation of (F, G) defined (SD > 0), M > 0 *)
Theorem d_fg_equiv_zero (y0 : 'I_K) (I : finType) (S : {set I}) (ys : I -> 'I_M -> 'I_K)
    (x0 : 'I_n) (xs : 'I_M -> 'I_n) F G F' G' yp :
  (forall x, 0 < w x) -> \sum_x w x = 1 -> (0 < M)%N ->
  (forall s i, s \in S ->
     0 < Bound.sigma w (fun x => lp F G x (ys s i)) (fun x => lp F G x y0)) ->
  (forall i, 0 < Bound.sigma (uniform R K) (fun y => lp F G (xs i) y) (fun y => lp F G x0 y)) ->
  equiv_L F G F' G' yp -> d_fg w F G F' G' y0 S ys x0 xs = 0.
Proof.
move=> w_pos w_sum1 M0 sig_pos s_pos /equiv_L_log_probs e.
have K0 : (0 < K)%N := leq_ltn_trans (leq0n y0) (ltn_ord y0).
have e2 : forall x y, lp F' G' x y = lp F G x y by move=> x y; rewrite e.
rewrite (@d_fg_log_probs _ _ _ _ w F F F' F G G G' G (fun _ _ => erefl) e2) /d_fg.
rewrite [d_svd (input_C _ _ _ _ _ _)]d_svd_cross_cov_self //; last first.
- by move=> i; apply: var_standardise; [exact: uniform_pos | exact: uniform_sum1 | exact: s_pos].
- by move=> y; exact/ltW/uniform_pos.
rewrite bmax0 ?maxxx // => s Ss; rewrite /label_C d_svd_cross_cov_self //.
- by move=> x; exact/ltW.
- by move=> i; apply: var_standardise => //; exact: sig_pos.
Qed.

End Invariance.
