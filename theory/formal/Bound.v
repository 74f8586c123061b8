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

   The only non-definitional ingredient is the nuclear norm (sum of the
   singular values), which mathcomp does not provide: it is the Parameter
   [nuclear_norm] with the single Axiom [nuclear_norm_ge_abs_trace]. *)

From mathcomp Require Import all_ssreflect all_algebra.
From mathcomp Require Import reals.
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
Parameter nuclear_norm : forall (R : realType) (M : nat), 'M[R]_M -> R.
Arguments nuclear_norm {R M}.

(* von Neumann's trace inequality, in the form |tr C| <= sum_k sigma_k(C)
   (Horn & Johnson, Matrix Analysis, 2nd ed., Thm 7.4.1.1 with the identity
   matrix; equivalently |tr(C)| <= ||C||_* since the nuclear norm is the dual
   of the operator norm).  It also gives ||C||_* >= 0.  The axiom is
   consistent: C |-> |tr C| satisfies it. *)
Axiom nuclear_norm_ge_abs_trace :
  forall (R : realType) (M : nat) (C : 'M[R]_M), `|\tr C| <= nuclear_norm C.

Section NuclearNorm.
Variables (R : realType) (M : nat).
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
Variables (R : realType) (n : nat) (w : 'I_n -> R).

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
Variables (R : realType) (n : nat) (w : 'I_n -> R).
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
