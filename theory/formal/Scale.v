(* Scale.v -- claim sec3-scale-invariance: d_{f,g} (for fixed sets) and
   m_CCA(f, f') of the Section 3 pair do not depend on the unembedding
   length rho.

   The Section 3 pair is (F, rho G), (F', rho G') with F, F' (n x M) and
   G, G' (K x M) not involving rho > 0 (theory/counterexample.py,
   KLConstruction.arrays).  Here n, K, M, the weights w (summing to one),
   F, F', G, G', the pivots y_0, x_0 and the chosen labels y_1..y_M and
   inputs x_1..x_M are arbitrary.

   Label side (moments over the inputs, weights w): the coordinates are
   std_coord(l(y_i|.), l(y_0|.)) = standardise(l(y_i|.) - l(y_0|.)), and
   l(y|x) - l(y_0|x) is the log-odds f(x)^T (g(y) - g(y_0)), linear in G:
   under G := rho G it is multiplied by rho, and standardise(rho v) =
   standardise(v) for rho > 0.
   Input side (moments over the K labels, weights 1/K): the coordinates are
   std_coord(l(.|x_i), l(.|x_0)), and l(y|x_i) - l(y|x_0) is
   (f(x_i) - f(x_0))^T g(y) + (lse(x_0) - lse(x_i)), a term constant in y
   added: under G := rho G it is rho times the same logit difference plus
   another constant, and standardise(rho v + c) = standardise(v).

   What is proved:
     standardise_affine  standardise(rho u + c) = standardise(u)   (rho > 0)
     std_coord_label_scale, std_coord_input_scale
                         each model's standardised coordinates are those
                         of the unscaled model, pointwise
     label_C_scale       C_label(F, rho G; F', rho G') = C_label(F, G; F', G')
     input_C_scale       C_input(F, rho G; F', rho G') = C_input(F, G; F', G')
   (C the M x M cross-covariance [cross_cov] of Bound.v; so C is the same
   for every rho > 0.)  These main theorems are over a [realType] (l is a
   logarithm): Print Assumptions lists only mathcomp-analysis' classical
   axioms, no project axiom.

   d_SVD(C) = 1 - ||C||_*/M is a function of C, so [d_svd_label_scale],
   [d_svd_input_scale] and [d_fg_scale] follow by congruence: d_{f,g} for
   fixed sets is the maximum of d_SVD over the chosen label tuples (any
   finite family, e.g. the M-subsets of S_Y) and of the input side's d_SVD.
   They mention the Parameter [nuclear_norm] of Bound.v, never the axiom
   [nuclear_norm_ge_abs_trace].

   m_CCA(f, f') is a function of F and F' alone (the canonical correlations
   of the paired embeddings f(x), f'(x) over the inputs), and the pair's
   F, F' do not involve rho: there is nothing to prove beyond the form of
   the pair (F, rho G), (F', rho G'), in which rho enters through G only.

   Hypotheses: the weights w sum to one (positivity is not used; the input
   side's 1/K sum to one because K > 0 whenever a label exists).  Division
   is mathcomp's total division (x / 0 = 0): (rho a)/(rho s) = a/s holds
   also for s = 0, so no sigma_y > 0 or s_x > 0 is needed.  The Python check
   does assume them (theory/distances.py's standardise refuses a coordinate
   with zero variance), and they hold for the Section 3 pair.  The Python
   input side standardises the logit differences (N^T g(y))_i instead of
   l(y|x_i) - l(y|x_0); [std_coord_input_scale] goes through exactly that
   vector (the two differ by a constant in y), so both readings agree. *)

Set Warnings "-notation-overridden,-ambiguous-paths".
From mathcomp Require Import all_ssreflect all_algebra.
From mathcomp.analysis Require Import reals.
From Closeness Require Import Moments Bound Identifiability.

Set Implicit Arguments.
Unset Strict Implicit.
Unset Printing Implicit Defensive.

Import Order.TTheory GRing.Theory Num.Theory.
Local Open Scope ring_scope.

(* ---------------------------------------------------------------------- *)
(* Standardisation removes a positive scale and a shift.                    *)
(* ---------------------------------------------------------------------- *)

Section Standardise.
Variables (R : rcfType) (m : nat) (v : 'I_m -> R).
Hypothesis v_sum1 : \sum_i v i = 1.

Implicit Types (u : 'I_m -> R) (rho c : R).

Lemma eq_standardise u u' : u =1 u' -> standardise v u =1 standardise v u'.
Proof. by move=> e i; rewrite /standardise (eq_mean v e) (eq_sd v e) e. Qed.

(* E[rho u + c] = rho E[u] + c *)
Lemma mean_affine rho c u : mean v (fun i => rho * u i + c) = rho * mean v u + c.
Proof.
rewrite !meanE (eq_bigr (fun i => rho * (v i * u i) + v i * c)) => [|i _]; last first.
  by rewrite mulrDr mulrCA.
by rewrite big_split /= -mulr_sumr -mulr_suml v_sum1 mul1r.
Qed.

(* SD(rho u + c) = |rho| SD(u) *)
Lemma sd_affine rho c u : sd v (fun i => rho * u i + c) = `|rho| * sd v u.
Proof. by rewrite (sd_shift v_sum1 (fun i => rho * u i)) (sd_scale v_sum1). Qed.

(* standardise(rho u + c) = standardise(u) for rho > 0 *)
Theorem standardise_affine rho c u :
  0 < rho -> standardise v (fun i => rho * u i + c) =1 standardise v u.
Proof.
move=> r0 i; rewrite /standardise mean_affine sd_affine gtr0_norm //.
rewrite opprD addrACA subrr addr0 -mulrBr invfM mulrACA mulfV ?mul1r //.
exact: lt0r_neq0.
Qed.

Corollary standardise_scale rho u :
  0 < rho -> standardise v (fun i => rho * u i) =1 standardise v u.
Proof.
move=> r0 i; rewrite -(standardise_affine 0 u r0 i).
by apply: eq_standardise => j; rewrite addr0.
Qed.

Corollary standardise_shift c u : standardise v (fun i => u i + c) =1 standardise v u.
Proof.
move=> i; rewrite -(standardise_affine c u ltr01 i).
by apply: eq_standardise => j; rewrite mul1r.
Qed.

End Standardise.

(* ---------------------------------------------------------------------- *)
(* The model with unembeddings rho G.                                       *)
(* ---------------------------------------------------------------------- *)

Section Model.
Variables (R : realType) (n K M : nat).
Implicit Types (F : 'M[R]_(n, M)) (G : 'M[R]_(K, M)) (rho : R).

(* f(x)^T (rho g(y)) = rho f(x)^T g(y) *)
Lemma logit_scale rho F G x y : logit F (rho *: G) x y = rho * logit F G x y.
Proof.
by rewrite !logit_sum mulr_sumr; apply: eq_bigr => j _; rewrite mxE mulrCA.
Qed.

Lemma log_odds_scale rho F G y0 x y :
  log_odds F (rho *: G) y0 x y = rho * log_odds F G y0 x y.
Proof. by rewrite /log_odds !logit_scale mulrBr. Qed.

(* l(y|x_1) - l(y|x_0) = (logit(x_1, y) - logit(x_0, y)) + (lse(x_0) - lse(x_1)) *)
Lemma log_probs_input F G x1 x0 y :
  log_probs F G x1 y - log_probs F G x0 y
  = (logit F G x1 y - logit F G x0 y) + (lse F G x0 - lse F G x1).
Proof. by rewrite !log_probsE opprB addrACA [RHS]addrACA [- lse F G x1 + _]addrC. Qed.

(* label side: standardise(l(y|.) - l(y_0|.)) over the inputs is that of
   the unscaled model *)
Theorem std_coord_label_scale (w : 'I_n -> R) rho F G y0 y :
  \sum_i w i = 1 -> 0 < rho ->
  std_coord w (fun x => log_probs F (rho *: G) x y) (fun x => log_probs F (rho *: G) x y0)
  =1 std_coord w (fun x => log_probs F G x y) (fun x => log_probs F G x y0).
Proof.
move=> w1 r0 x; rewrite /std_coord.
transitivity (standardise w (fun x => log_odds F G y0 x y) x).
  rewrite -(standardise_scale w1 (fun x => log_odds F G y0 x y) r0 x).
  apply: eq_standardise => x'.
  by rewrite log_probs_odds log_odds_scale.
by apply: eq_standardise => x'; rewrite log_probs_odds.
Qed.

(* input side: standardise(l(.|x_1) - l(.|x_0)) over the labels (weights
   1/K) is that of the unscaled model *)
Theorem std_coord_input_scale rho F G x1 x0 :
  0 < rho ->
  std_coord (uniform R K) (fun y => log_probs F (rho *: G) x1 y)
                          (fun y => log_probs F (rho *: G) x0 y)
  =1 std_coord (uniform R K) (fun y => log_probs F G x1 y) (fun y => log_probs F G x0 y).
Proof.
move=> r0 y; rewrite /std_coord.
have u1 : \sum_i uniform R K i = 1.
  by apply: uniform_sum1; apply: leq_ltn_trans (leq0n y) (ltn_ord y).
pose D y := logit F G x1 y - logit F G x0 y.
transitivity (standardise (uniform R K) D y).
  rewrite -(standardise_affine u1 (lse F (rho *: G) x0 - lse F (rho *: G) x1) D r0 y).
  apply: eq_standardise => y'.
  by rewrite log_probs_input !logit_scale mulrBr.
rewrite -(standardise_shift u1 (lse F G x0 - lse F G x1) D y).
by apply: eq_standardise => y'; rewrite log_probs_input.
Qed.

(* The two sides' cross-covariances, as in [d_fg_bound] (Bound.v): label
   side l i = l(y_i|.), l0 = l(y_0|.) over the inputs with weights w; input
   side g i = l(.|x_i), g0 = l(.|x_0) over the labels with weights 1/K. *)
Definition label_C (w : 'I_n -> R) F G F' G' (y0 : 'I_K) (ys : 'I_M -> 'I_K) : 'M[R]_M :=
  cross_cov w (fun i => std_coord w (fun x => log_probs F G x (ys i)) (fun x => log_probs F G x y0))
              (fun i => std_coord w (fun x => log_probs F' G' x (ys i)) (fun x => log_probs F' G' x y0)).

Definition input_C F G F' G' (x0 : 'I_n) (xs : 'I_M -> 'I_n) : 'M[R]_M :=
  cross_cov (uniform R K)
    (fun i => std_coord (uniform R K) (fun y => log_probs F G (xs i) y) (fun y => log_probs F G x0 y))
    (fun i => std_coord (uniform R K) (fun y => log_probs F' G' (xs i) y) (fun y => log_probs F' G' x0 y)).

(* Claim sec3-scale-invariance, label side: C of (F, rho G), (F', rho G')
   is C of (F, G), (F', G'). *)
Theorem label_C_scale (w : 'I_n -> R) rho F G F' G' y0 ys :
  \sum_i w i = 1 -> 0 < rho ->
  label_C w F (rho *: G) F' (rho *: G') y0 ys = label_C w F G F' G' y0 ys.
Proof.
move=> w1 r0; apply: eq_mx => i j.
by apply: eq_cov; apply: std_coord_label_scale.
Qed.

(* Claim sec3-scale-invariance, input side: the same for the input side's C. *)
Theorem input_C_scale rho F G F' G' x0 xs :
  0 < rho -> input_C F (rho *: G) F' (rho *: G') x0 xs = input_C F G F' G' x0 xs.
Proof.
move=> r0; apply: eq_mx => i j.
by apply: eq_cov; apply: std_coord_input_scale.
Qed.

(* d_{f,g} for fixed sets: the maximum of the label side's d_SVD over a
   finite family S of label tuples (ys s) and of the input side's d_SVD. *)
Definition d_fg (w : 'I_n -> R) F G F' G' (y0 : 'I_K) (I : finType) (S : {set I})
    (ys : I -> 'I_M -> 'I_K) (x0 : 'I_n) (xs : 'I_M -> 'I_n) : R :=
  Num.max (\big[Num.max/0]_(s in S) d_svd (label_C w F G F' G' y0 (ys s)))
          (d_svd (input_C F G F' G' x0 xs)).

End Model.

(* ---------------------------------------------------------------------- *)
(* d_SVD and d_{f,g}: by congruence.  Print Assumptions: the Parameter      *)
(* [nuclear_norm] of Bound.v and the classical axioms of the main theorems. *)
(* ---------------------------------------------------------------------- *)

Corollary d_svd_label_scale (R : realType) (n K M : nat) (w : 'I_n -> R) (rho : R)
    (F F' : 'M[R]_(n, M)) (G G' : 'M[R]_(K, M)) (y0 : 'I_K) (ys : 'I_M -> 'I_K) :
  \sum_i w i = 1 -> 0 < rho ->
  d_svd (label_C w F (rho *: G) F' (rho *: G') y0 ys) = d_svd (label_C w F G F' G' y0 ys).
Proof. by move=> w1 r0; rewrite label_C_scale. Qed.

Corollary d_svd_input_scale (R : realType) (n K M : nat) (rho : R)
    (F F' : 'M[R]_(n, M)) (G G' : 'M[R]_(K, M)) (x0 : 'I_n) (xs : 'I_M -> 'I_n) :
  0 < rho ->
  d_svd (input_C F (rho *: G) F' (rho *: G') x0 xs) = d_svd (input_C F G F' G' x0 xs).
Proof. by move=> r0; rewrite input_C_scale. Qed.

(* Claim sec3-scale-invariance: d_{f,g} of the pair (F, rho G), (F', rho G')
   is that of (F, G), (F', G') for every rho > 0 and every choice of sets. *)
Corollary d_fg_scale (R : realType) (n K M : nat) (w : 'I_n -> R) (rho : R)
    (F F' : 'M[R]_(n, M)) (G G' : 'M[R]_(K, M)) (y0 : 'I_K) (I : finType) (S : {set I})
    (ys : I -> 'I_M -> 'I_K) (x0 : 'I_n) (xs : 'I_M -> 'I_n) :
  \sum_i w i = 1 -> 0 < rho ->
  d_fg w F (rho *: G) F' (rho *: G') y0 S ys x0 xs = d_fg w F G F' G' y0 S ys x0 xs.
Proof.
move=> w1 r0; rewrite /d_fg; apply: (f_equal2 Num.max).
  by apply: eq_bigr => s _; apply: d_svd_label_scale.
exact: d_svd_input_scale.
Qed.
