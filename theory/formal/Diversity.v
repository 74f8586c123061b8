(* Diversity (Definition 2.1 of "When Does Closeness in Distribution Imply
   Representational Similarity? An Identifiability Perspective", NeurIPS 2025).

   Definition 2.1: (f,g) is diverse iff there are labels y0..yM with L
   invertible and inputs x0..xM with N invertible.

   Here:
     L_unit_labels      an invertible L uses distinct labels, all != y0;
     rank_full_rowsub   a K x M matrix has M rows forming an invertible
                        submatrix iff its rank is M;
     def2_1_labels      for a fixed pivot y0:
                        (exists y1..yM, L invertible) <-> \rank G0 = M,
                        G0 the K x M matrix of rows g(y) - g(y0);
     rank_displaced_pivot  \rank G0 does not depend on the pivot: it is the
                        dimension of the affine span of {g(y)};
     def2_1_inputs      the same for N and the embeddings;
     def2_1             Definition 2.1 <-> both affine spans have dimension M;
     thm2_2_diverse     Theorem 2.2 under Definition 2.1;
     diversity_necessary  without label diversity, Theorem 2.2 fails: two
                        models with equal distributions that are not ~_L. *)

Set Warnings "-notation-overridden,-ambiguous-paths".
From mathcomp Require Import all_ssreflect ssralg ssrnum zmodp matrix mxalgebra.
From mathcomp.analysis Require Import reals sequences exp.
From Closeness Require Import Identifiability.

Set Implicit Arguments.
Unset Strict Implicit.
Unset Printing Implicit Defensive.

Import Order.TTheory GRing.Theory Num.Theory.
Local Open Scope ring_scope.

Section Rank.
Variables (R : fieldType) (K M : nat).
Implicit Types (G : 'M[R]_(K, M)).

(* An invertible M x M row-submatrix exists iff the rank is M. *)
Lemma rank_full_rowsub (A : 'M[R]_(K, M)) :
  (exists s : 'I_M -> 'I_K, rowsub s A \in unitmx) <-> \rank A = M.
Proof.
split=> [[s us]|rA].
  apply/eqP; rewrite eqn_leq rank_leq_col /= -{1}(mxrank_unit us) rowsubE.
  exact: mxrankM_maxr.
have fA : row_full A by rewrite /row_full rA.
by exists (fun i => fullrankfun fA i); exact: fullrowsub_unit.
Qed.

(* G0: the K x M matrix whose row y is g(y) - g(y0) *)
Definition displaced (G : 'M[R]_(K, M)) (pivot : 'I_K) : 'M[R]_(K, M) :=
  \matrix_(y, j) (G y j - G pivot j).

Lemma L_rowsub G y0 ys : L G y0 ys = (rowsub ys (displaced G y0))^T.
Proof. by apply/matrixP => j i; rewrite !mxE. Qed.

(* An invertible L uses distinct labels y1..yM, all different from y0
   (as Definition 2.1 intends; it need not be assumed). *)
Lemma L_unit_labels G y0 ys :
  L G y0 ys \in unitmx -> injective ys /\ forall i, ys i != y0.
Proof.
rewrite unitmxE -det_tr => uL; split=> [i1 i2 e|i].
  apply: contraTeq uL => ne; rewrite (determinant_alternate ne) ?unitr0 // => j.
  by rewrite !mxE e.
apply: contraTneq uL => e; rewrite (expand_det_row _ i) big1 ?unitr0 // => j _.
by rewrite !mxE e subrr mul0r.
Qed.

(* Definition 2.1, label side, for a fixed pivot y0. *)
Theorem def2_1_labels G y0 :
  (exists ys : 'I_M -> 'I_K, L G y0 ys \in unitmx) <-> \rank (displaced G y0) = M.
Proof.
rewrite -rank_full_rowsub.
by split=> -[ys u]; exists ys; move: u; rewrite L_rowsub unitmx_tr.
Qed.

Lemma displaced_sub G y0 y1 : (displaced G y1 <= displaced G y0)%MS.
Proof.
apply/row_subP => y.
have -> : row y (displaced G y1) = row y (displaced G y0) - row y1 (displaced G y0).
  by apply/rowP => j; rewrite !mxE opprB subrKA.
by rewrite addmx_sub ?eqmx_opp ?row_sub.
Qed.

(* The rank of G0 does not depend on the pivot: it is the dimension of the
   affine span of the points g(y). *)
Theorem rank_displaced_pivot G y0 y1 :
  \rank (displaced G y0) = \rank (displaced G y1).
Proof. by apply/eqP; rewrite eqn_leq !mxrankS ?displaced_sub. Qed.

(* Hence the pivot in Definition 2.1 can be chosen freely. *)
Corollary def2_1_labels_any_pivot G y0 y1 :
  (exists ys, L G y0 ys \in unitmx) -> (exists ys, L G y1 ys \in unitmx).
Proof. by rewrite !def2_1_labels (rank_displaced_pivot G y1 y0). Qed.

End Rank.

(* Definition 2.1. *)
Section Def21.
Variables (R : fieldType) (n K M : nat).
Implicit Types (F : 'M[R]_(n, M)) (G : 'M[R]_(K, M)).

Definition label_diverse G := exists y0 ys, L G y0 ys \in unitmx.
Definition input_diverse F := exists x0 xs, N F x0 xs \in unitmx.
Definition diverse F G := label_diverse G /\ input_diverse F.

(* N is the label-side matrix L built from the embeddings *)
Lemma N_L F x0 xs : N F x0 xs = L F x0 xs.
Proof. by apply/matrixP => j i; rewrite !mxE. Qed.

(* Definition 2.1, input side, for a fixed pivot input x0. *)
Theorem def2_1_inputs F x0 :
  (exists xs : 'I_M -> 'I_n, N F x0 xs \in unitmx) <-> \rank (displaced F x0) = M.
Proof.
rewrite -def2_1_labels.
by split=> -[xs u]; exists xs; move: u; rewrite N_L.
Qed.

(* Definition 2.1 <-> the affine spans of {g(y)} and {f(x)} have dimension M
   (measured from any pivot). *)
Theorem def2_1 F G :
  diverse F G <->
  (exists y0, \rank (displaced G y0) = M) /\ (exists x0, \rank (displaced F x0) = M).
Proof.
split=> [[[y0 [ys uL]] [x0 [xs uN]]]|[[y0 rG] [x0 rF]]].
  split; [exists y0; apply/def2_1_labels | exists x0; apply/def2_1_inputs].
    by exists ys.
  by exists xs.
split; [exists y0; apply/def2_1_labels | exists x0; apply/def2_1_inputs] => //.
Qed.

End Def21.

Section Theorem22.
Variables (R : realType) (n K M : nat).
Implicit Types (F : 'M[R]_(n, M)) (G : 'M[R]_(K, M)).

(* Theorem 2.2 with Definition 2.1 as hypothesis: for a diverse (f,g),
   p_{f,g} = p_{f',g'} iff (f,g) ~_L (f',g') (for every pivot label). *)
Theorem thm2_2_diverse F G F' G' :
  diverse F G ->
  (forall x y, prob F G x y = prob F' G' x y) <-> (forall y0, equiv_L F G F' G' y0).
Proof.
case=> -[y0 [ys uL]] [x0 [xs uN]]; rewrite (thm2_2 _ _ uL uN).
by split=> [h y1|]; [exact: equiv_L_pivot h | exact].
Qed.

End Theorem22.

(* ------------------------------------------------------------------------- *)
(* Diversity is necessary in Theorem 2.2 ("only if").                         *)
(* M = 2, K = 3, n = 3. Unembeddings on a line: g(y) = (y, 0).               *)
(* f(x0) = (0,0), f(x1) = (1,0), f(x2) = (0,1)    (inputs are diverse)        *)
(* f'(x0) = (0,0), f'(x1) = (1,0), f'(x2) = (0,0),   g' = g.                   *)
(* The logits agree, so p = p', but f(x2) = A f'(x2) = 0 is impossible.      *)
(* ------------------------------------------------------------------------- *)

Section Necessity.
Variable R : realType.

Definition G_line : 'M[R]_(3, 2) := \matrix_(y, j) (if j == ord0 then (y : nat)%:R else 0).
Definition F_wit : 'M[R]_(3, 2) := \matrix_(x, j) ((x : nat) == (j : nat).+1)%:R.
Definition F_wit' : 'M[R]_(3, 2) :=
  \matrix_(x, j) (((x : nat) == 1%N) && ((j : nat) == 0%N))%:R.

Lemma G_line_not_diverse : ~ label_diverse G_line.
Proof.
case=> y0 [ys uL].
have eL : L G_line y0 ys =
    (\col_(j < 2) (j == ord0)%:R) *m (\row_(i < 2) ((ys i : nat)%:R - (y0 : nat)%:R)).
  apply/matrixP => j i; rewrite !mxE big_ord1 !mxE.
  by case: (j == ord0); rewrite ?mul1r ?mul0r ?subrr.
have := mxrankM_maxl (\col_(j < 2) (j == ord0)%:R)
                     (\row_(i < 2) ((ys i : nat)%:R - (y0 : nat)%:R) : 'M[R]_(1, 2)).
by rewrite -eL (mxrank_unit uL) => /leq_trans /(_ (rank_leq_col _)).
Qed.

Theorem diversity_necessary :
  [/\ forall x y, prob F_wit G_line x y = prob F_wit' G_line x y,
      input_diverse F_wit,
      ~ label_diverse G_line &
      forall y0, ~ equiv_L F_wit G_line F_wit' G_line y0].
Proof.
have e x y : logit F_wit G_line x y = logit F_wit' G_line x y.
  rewrite !logit_sum !big_ord_recr !big_ord0 /= !mxE /= !mulr0 !addr0 !add0r.
  by rewrite eqxx andbT.
split.
- by move=> x y; rewrite /prob e; under eq_bigr do rewrite e.
- exists ord0, (lift ord0).
  have -> : N F_wit ord0 (lift ord0) = 1%:M.
    by apply/matrixP => j i; rewrite N_E !mxE /= subr0 eqSS eq_sym.
  exact: unitmx1.
- exact: G_line_not_diverse.
- move=> y0 [A [_ hf _]].
  have := congr1 (fun v : 'cV_2 => v (lift ord0 ord0) ord0) (hf (@Ordinal 3 2 isT)).
  have -> : emb F_wit' (@Ordinal 3 2 isT) = 0 by apply/colP => j; rewrite !mxE.
  by rewrite mulmx0 !mxE /= => /eqP; rewrite oner_eq0.
Qed.

End Necessity.
