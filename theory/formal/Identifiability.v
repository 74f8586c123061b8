(* Identifiability of the model family p_{f,g}(y|x) = softmax_y (f(x)^T g(y))
   (Section 2 of "When Does Closeness in Distribution Imply Representational
   Similarity? An Identifiability Perspective", NeurIPS 2025).

   A model on n inputs and K labels in dimension M is a pair of matrices
     F : 'M_(n, M)   (row x is f(x))      G : 'M_(K, M)   (row y is g(y)).
   Vectors f(x), g(y) are used as columns ('cV_M), as in the paper.

   Main results:
     thm2_2_if       Theorem 2.2, "if":       (f,g) ~_L (f',g')  ->  p = p'
     log_odds_eq     p = p'  ->  equal log-odds  f(x)^T g0(y) = f'(x)^T g'0(y)
     thm2_2_only_if  Theorem 2.2, "only if":  diversity, p = p'  ->  ~_L with
                     A = L^-T L'^T  and  A^-T = N^-T N'^T
     thm2_2          Theorem 2.2 as an equivalence.
   Key identities of the proof:
     L_tr_emb_log_probs    (L^T f(x))_i = l(y_i|x) - l(y0|x)
     N_tr_unemb_log_probs  (N^T g(y))_i = l(y|x_i) - l(y|x0) + c_i,
                           c_i = lse(x_i) - lse(x0) independent of y
     L_tr_emb, N_tr_unemb0, L_tr_N   the same in log-odds form (any ring).
   The purely rational part (logits, log-odds, L, N, the algebra of the
   "only if" direction) is stated over a general (commutative) ring. *)

Set Warnings "-notation-overridden,-ambiguous-paths".
From mathcomp Require Import all_ssreflect ssralg ssrnum matrix mxalgebra rat.
From mathcomp.analysis Require Import reals sequences exp.

Set Implicit Arguments.
Unset Strict Implicit.
Unset Printing Implicit Defensive.

Import Order.TTheory GRing.Theory Num.Theory.
Local Open Scope ring_scope.

(* ------------------------------------------------------------------------- *)
(* Rational definitions: any ring.                                            *)
(* ------------------------------------------------------------------------- *)

Section Rational.
Variables (R : ringType) (n K M : nat).
Implicit Types (F : 'M[R]_(n, M)) (G : 'M[R]_(K, M)) (x : 'I_n) (y : 'I_K).

(* f(x) and g(y) as column vectors *)
Definition emb F x : 'cV[R]_M := (row x F)^T.
Definition unemb G y : 'cV[R]_M := (row y G)^T.
(* displaced unembedding g0(y) = g(y) - g(y0), y0 the pivot label *)
Definition unemb0 G (pivot_label : 'I_K) y : 'cV[R]_M :=
  unemb G y - unemb G pivot_label.

(* the n x K matrix of logits f(x)^T g(y) *)
Definition logits F G : 'M[R]_(n, K) := F *m G^T.
Definition logit F G x y : R := logits F G x y.

(* log-odds against the pivot label: logit(x, y) - logit(x, y0) *)
Definition log_odds F G (pivot_label : 'I_K) x y : R :=
  logit F G x y - logit F G x pivot_label.

(* L = [g0(y_1) ... g0(y_M)]  (column i is g0(y_i)) *)
Definition L G (pivot_label : 'I_K) (ys : 'I_M -> 'I_K) : 'M[R]_M :=
  \matrix_(j, i) unemb0 G pivot_label (ys i) j ord0.

(* N = [f(x_1)-f(x_0) ... f(x_M)-f(x_0)]  (column i is f(x_i) - f(x_0)) *)
Definition N F (pivot_input : 'I_n) (xs : 'I_M -> 'I_n) : 'M[R]_M :=
  \matrix_(j, i) (emb F (xs i) - emb F pivot_input) j ord0.

Lemma logit_sum F G x y : logit F G x y = \sum_j F x j * G y j.
Proof. by rewrite /logit /logits mxE; apply: eq_bigr => j _; rewrite mxE. Qed.

Lemma log_odds_sum F G y0 x y :
  log_odds F G y0 x y = \sum_j F x j * (G y j - G y0 j).
Proof.
rewrite /log_odds !logit_sum -sumrB.
by apply: eq_bigr => j _; rewrite mulrBr.
Qed.

Lemma L_E G y0 ys j i : L G y0 ys j i = G (ys i) j - G y0 j.
Proof. by rewrite !mxE. Qed.

Lemma N_E F x0 xs j i : N F x0 xs j i = F (xs i) j - F x0 j.
Proof. by rewrite !mxE. Qed.

End Rational.

Section CommutativeRing.
Variables (R : comRingType) (n K M : nat).
Implicit Types (F : 'M[R]_(n, M)) (G : 'M[R]_(K, M)) (x : 'I_n) (y : 'I_K).

(* logit(x, y) = f(x)^T g(y) *)
Lemma logitE F G x y : logit F G x y = ((emb F x)^T *m unemb G y) ord0 ord0.
Proof.
rewrite logit_sum mxE; apply: eq_bigr => j _.
by rewrite /emb /unemb trmxK !mxE.
Qed.

(* log-odds = f(x)^T g0(y) *)
Lemma log_oddsE F G y0 x y :
  log_odds F G y0 x y = ((emb F x)^T *m unemb0 G y0 y) ord0 ord0.
Proof. by rewrite /log_odds /unemb0 !logitE mulmxBr !mxE. Qed.

(* Key identity, label side: (L^T f(x))_i = logit(x, y_i) - logit(x, y0) *)
Lemma L_tr_emb F G y0 ys x :
  (L G y0 ys)^T *m emb F x = \col_i log_odds F G y0 x (ys i).
Proof.
apply/colP => i; rewrite !mxE log_odds_sum.
by apply: eq_bigr => j _; rewrite !mxE mulrC.
Qed.

(* Key identity, input side: (N^T g(y))_i = logit(x_i, y) - logit(x_0, y) *)
Lemma N_tr_unemb F G x0 xs y :
  (N F x0 xs)^T *m unemb G y = \col_i (logit F G (xs i) y - logit F G x0 y).
Proof.
apply/colP => i; rewrite !mxE !logit_sum -sumrB.
by apply: eq_bigr => j _; rewrite !mxE mulrBl.
Qed.

(* ... and for displaced unembeddings, where the constants c_i cancel *)
Lemma N_tr_unemb0 F G y0 x0 xs y :
  (N F x0 xs)^T *m unemb0 G y0 y =
  \col_i (log_odds F G y0 (xs i) y - log_odds F G y0 x0 y).
Proof.
apply/colP => i; rewrite /unemb0 mulmxBr !N_tr_unemb !mxE /log_odds.
rewrite !opprB !addrA -!addrA; congr (_ + _).
by rewrite addrCA [RHS]addrCA; congr (_ + _); rewrite addrC.
Qed.

(* The anchor matrix D = L^T N, read off the log-odds *)
Lemma L_tr_N F G y0 ys x0 xs :
  (L G y0 ys)^T *m N F x0 xs =
  \matrix_(k, i) (log_odds F G y0 (xs i) (ys k) - log_odds F G y0 x0 (ys k)).
Proof.
apply/matrixP => k i; rewrite !mxE !log_odds_sum -sumrB.
by apply: eq_bigr => j _; rewrite !mxE -mulrBl mulrC.
Qed.

End CommutativeRing.

(* ------------------------------------------------------------------------- *)
(* The relation ~_L and the algebraic core of Theorem 2.2 ("only if").        *)
(* ------------------------------------------------------------------------- *)

Section Relation.
Variables (R : comUnitRingType) (n K M : nat).
Implicit Types (F : 'M[R]_(n, M)) (G : 'M[R]_(K, M)).

(* (f,g) ~_L (f',g'): f(x) = A f'(x) and g0(y) = A^-T g'0(y), A invertible *)
Definition equiv_L F G F' G' (pivot_label : 'I_K) : Prop :=
  exists A : 'M[R]_M, [/\ A \in unitmx,
    forall x, emb F x = A *m emb F' x &
    forall y, unemb0 G pivot_label y = (invmx A)^T *m unemb0 G' pivot_label y].

(* changing the pivot label: g0 w.r.t. y1 is g0(y) - g0(y1) w.r.t. y0 *)
Lemma unemb0_pivot G y0 y1 y :
  unemb0 G y1 y = unemb0 G y0 y - unemb0 G y0 y1.
Proof. by rewrite /unemb0 opprB subrKA. Qed.

(* ... so ~_L does not depend on the pivot label *)
Lemma equiv_L_pivot F G F' G' y0 y1 :
  equiv_L F G F' G' y0 -> equiv_L F G F' G' y1.
Proof.
case=> A [uA hf hg]; exists A; split=> // y.
by rewrite (unemb0_pivot G y0) (unemb0_pivot G' y0) !hg [RHS]mulmxBr.
Qed.

(* ~_L preserves the log-odds (no diversity needed) *)
Lemma equiv_L_log_odds F G F' G' y0 :
  equiv_L F G F' G' y0 ->
  forall x y, log_odds F G y0 x y = log_odds F' G' y0 x y.
Proof.
case=> A [uA hf hg] x y; rewrite !log_oddsE hf hg trmx_mul !mulmxA.
by rewrite -(mulmxA _ A^T) -trmx_mul mulVmx // trmx1 mulmx1.
Qed.

(* Theorem 2.2 ("only if"), algebraic form: equal log-odds and diversity of
   (f,g) give ~_L with A = L^-T L'^T and A^-T = N^-T N'^T. *)
Theorem only_if_log_odds F G F' G' y0 ys x0 xs :
  L G y0 ys \in unitmx -> N F x0 xs \in unitmx ->
  (forall x y, log_odds F G y0 x y = log_odds F' G' y0 x y) ->
  let A := (invmx (L G y0 ys))^T *m (L G' y0 ys)^T in
  [/\ A \in unitmx, (L G' y0 ys \in unitmx) && (N F' x0 xs \in unitmx),
      (forall x, emb F x = A *m emb F' x),
      (forall y, unemb0 G y0 y = (invmx A)^T *m unemb0 G' y0 y) &
      (invmx A)^T = (invmx (N F x0 xs))^T *m (N F' x0 xs)^T].
Proof.
set Lm := L G y0 ys; set Lm' := L G' y0 ys.
set Nm := N F x0 xs; set Nm' := N F' x0 xs => uL uN lo A.
have hLf x : Lm^T *m emb F x = Lm'^T *m emb F' x.
  by rewrite !L_tr_emb; apply/colP => i; rewrite !mxE lo.
have hNg y : Nm^T *m unemb0 G y0 y = Nm'^T *m unemb0 G' y0 y.
  by rewrite !N_tr_unemb0; apply/colP => i; rewrite !mxE !lo.
have hD : Lm^T *m Nm = Lm'^T *m Nm'.
  by rewrite !L_tr_N; apply/matrixP => k i; rewrite !mxE !lo.
have uD' : Lm'^T *m Nm' \in unitmx by rewrite -hD unitmx_mul unitmx_tr uL uN.
move: (uD'); rewrite unitmx_mul unitmx_tr => /andP[uL' uN'].
have uA : A \in unitmx by rewrite unitmx_mul !unitmx_tr unitmx_inv uL uL'.
have iAN : (invmx A)^T = (invmx Nm)^T *m Nm'^T.
  have AX : A *m (Nm' *m invmx Nm) = 1%:M.
    rewrite /A mulmxA -(mulmxA _ _ Nm') -hD trmx_inv mulmxA mulVmx ?unitmx_tr //.
    by rewrite mul1mx mulmxV.
  by rewrite -[invmx A]mulmx1 -AX mulmxA mulVmx // mul1mx trmx_mul.
split => // [|x|y]; first by rewrite uL' uN'.
  by rewrite /A -mulmxA -hLf mulmxA trmx_inv mulVmx ?unitmx_tr ?mul1mx.
by rewrite iAN -mulmxA -hNg mulmxA trmx_inv mulVmx ?unitmx_tr // mul1mx.
Qed.

End Relation.

(* ------------------------------------------------------------------------- *)
(* Probabilities over the reals.                                              *)
(* ------------------------------------------------------------------------- *)

Section Probabilities.
Variables (R : realType) (n K M : nat).
Implicit Types (F : 'M[R]_(n, M)) (G : 'M[R]_(K, M)) (x : 'I_n) (y : 'I_K).

(* p(y|x) = exp(f(x)^T g(y)) / sum_y' exp(f(x)^T g(y')) *)
Definition prob F G x y : R :=
  expR (logit F G x y) / \sum_(y' < K) expR (logit F G x y').

(* log-sum-exp of the logits of x, and log-probabilities l(y|x) = ln p(y|x) *)
Definition lse F G x : R := ln (\sum_(y' < K) expR (logit F G x y')).
Definition log_probs F G x y : R := ln (prob F G x y).

Lemma sum_expR_gt0 (a : 'I_K -> R) y : 0 < \sum_(y' < K) expR (a y').
Proof.
rewrite (bigD1 y) //= ltr_paddr ?expR_gt0 //.
by rewrite sumr_ge0 // => i _; rewrite ltW ?expR_gt0.
Qed.

Lemma prob_gt0 F G x y : 0 < prob F G x y.
Proof. by rewrite divr_gt0 ?expR_gt0 ?(sum_expR_gt0 _ y). Qed.

Lemma log_probsE F G x y : log_probs F G x y = logit F G x y - lse F G x.
Proof.
rewrite /log_probs /prob /lse ln_div ?expK // qualifE ?expR_gt0 //.
exact: sum_expR_gt0.
Qed.

(* l(y|x) - l(y0|x) = log-odds *)
Lemma log_probs_odds F G y0 x y :
  log_probs F G x y - log_probs F G x y0 = log_odds F G y0 x y.
Proof. by rewrite !log_probsE /log_odds opprB addrA subrK. Qed.

(* p(y|x) / p(y0|x) = exp(f(x)^T g0(y)) *)
Lemma prob_ratio F G y0 x y :
  prob F G x y / prob F G x y0 = expR (log_odds F G y0 x y).
Proof.
rewrite /prob /log_odds expRB invf_div mulrA divfK //.
by rewrite gt_eqF ?(sum_expR_gt0 _ y).
Qed.

(* Key identity (Theorem 2.2 proof): (L^T f(x))_i = l(y_i|x) - l(y0|x) *)
Lemma L_tr_emb_log_probs F G y0 ys x :
  (L G y0 ys)^T *m emb F x =
  \col_i (log_probs F G x (ys i) - log_probs F G x y0).
Proof. by rewrite L_tr_emb; apply/colP => i; rewrite !mxE log_probs_odds. Qed.

(* Key identity (Theorem 2.2 proof): (N^T g(y))_i = l(y|x_i) - l(y|x_0) + c_i,
   with c_i = lse(x_i) - lse(x_0) independent of y *)
Lemma N_tr_unemb_log_probs F G x0 xs y :
  (N F x0 xs)^T *m unemb G y =
  \col_i (log_probs F G (xs i) y - log_probs F G x0 y
          + (lse F G (xs i) - lse F G x0)).
Proof.
rewrite N_tr_unemb; apply/colP => i; rewrite !mxE !log_probsE.
by rewrite addrACA subrK opprB addrAC subrr add0r.
Qed.

(* softmax is invariant under a constant shift of the logits *)
Lemma softmax_shift (a b : 'I_K -> R) c y :
  (forall y', a y' = b y' + c) ->
  expR (a y) / (\sum_(y' < K) expR (a y')) =
  expR (b y) / (\sum_(y' < K) expR (b y')).
Proof.
move=> ab; rewrite ab expRD.
under eq_bigr do rewrite ab expRD.
rewrite -mulr_suml invfM mulrACA mulfV ?mulr1 //.
by rewrite gt_eqF ?expR_gt0.
Qed.

(* Theorem 2.2 ("if"): (f,g) ~_L (f',g') implies p_{f,g} = p_{f',g'};
   no diversity is needed. *)
Theorem thm2_2_if F G F' G' y0 :
  equiv_L F G F' G' y0 -> forall x y, prob F G x y = prob F' G' x y.
Proof.
move=> /equiv_L_log_odds lo x y; apply: softmax_shift => y'.
by have := lo x y'; rewrite /log_odds => /eqP; rewrite subr_eq => /eqP ->;
   rewrite -addrA.
Qed.

(* Equal distributions have equal log-odds: f(x)^T g0(y) = f'(x)^T g'0(y)
   (step 1 of the proof of Theorem 2.2, "only if"). *)
Lemma log_odds_eq F G F' G' y0 :
  (forall x y, prob F G x y = prob F' G' x y) ->
  forall x y, log_odds F G y0 x y = log_odds F' G' y0 x y.
Proof. by move=> p_eq x y; apply: expR_inj; rewrite -!prob_ratio !p_eq. Qed.

(* Theorem 2.2 ("only if"): if (f,g) is diverse (L and N invertible for some
   labels y0..yM and inputs x0..xM) and p_{f,g} = p_{f',g'}, then
   (f,g) ~_L (f',g') with A = L^-T L'^T; moreover L', N' are invertible and
   A^-T = N^-T N'^T. *)
Theorem thm2_2_only_if F G F' G' y0 ys x0 xs :
  L G y0 ys \in unitmx -> N F x0 xs \in unitmx ->
  (forall x y, prob F G x y = prob F' G' x y) ->
  let A := (invmx (L G y0 ys))^T *m (L G' y0 ys)^T in
  [/\ A \in unitmx, (L G' y0 ys \in unitmx) && (N F' x0 xs \in unitmx),
      (forall x, emb F x = A *m emb F' x),
      (forall y, unemb0 G y0 y = (invmx A)^T *m unemb0 G' y0 y) &
      (invmx A)^T = (invmx (N F x0 xs))^T *m (N F' x0 xs)^T].
Proof. by move=> uL uN /(log_odds_eq y0); exact: only_if_log_odds. Qed.

(* Theorem 2.2: for a diverse (f,g), p_{f,g} = p_{f',g'} iff (f,g) ~_L (f',g'). *)
Theorem thm2_2 F G F' G' y0 ys x0 xs :
  L G y0 ys \in unitmx -> N F x0 xs \in unitmx ->
  (forall x y, prob F G x y = prob F' G' x y) <-> equiv_L F G F' G' y0.
Proof.
move=> uL uN; split; last exact: thm2_2_if.
move=> /(thm2_2_only_if uL uN) [uA _ hf hg _].
by exists ((invmx (L G y0 ys))^T *m (L G' y0 ys)^T).
Qed.

End Probabilities.

(* ------------------------------------------------------------------------- *)
(* A computed example on the rationals (compared with the Python code).       *)
(*   F = [[1, 2], [3, -1]]                (n = 2, M = 2)                       *)
(*   G = [[0, 1], [2, 1], [1/2, 3]]       (K = 3)                              *)
(*   pivot label y0 = 0, labels (y_1, y_2) = (1, 2)                           *)
(*   log_odds at x = 1, y = 2:  f(x1).(g(y2) - g(y0)) = 3*(1/2) + (-1)*2      *)
(*                                                   = -1/2                   *)
(*   L = [[2, 1/2], [0, 2]]   (entry (0,1) is 1/2)                             *)
(* ------------------------------------------------------------------------- *)

Definition mx_of_seqs (R : ringType) (m k : nat) (s : seq (seq R)) : 'M[R]_(m, k) :=
  \matrix_(i, j) nth 0 (nth [::] s i) j.

Definition F_ex : 'M[rat]_(2, 2) := mx_of_seqs 2 2 [:: [:: 1; 2]; [:: 3; -1]].
Definition G_ex : 'M[rat]_(3, 2) :=
  mx_of_seqs 3 2 [:: [:: 0; 1]; [:: 2; 1]; [:: 1 / 2%:R; 3%:R]].
Definition ys_ex (i : 'I_2) : 'I_3 := lift ord0 i.

Example log_odds_ex :
  log_odds F_ex G_ex ord0 (@Ordinal 2 1 isT) (@Ordinal 3 2 isT) = - (1 / 2%:R).
Proof.
rewrite log_odds_sum !big_ord_recr big_ord0 /= !mxE.
by vm_compute.
Qed.

Example L_ex : L G_ex ord0 ys_ex (@Ordinal 2 0 isT) (@Ordinal 2 1 isT) = 1 / 2%:R.
Proof. by rewrite L_E !mxE; vm_compute. Qed.
