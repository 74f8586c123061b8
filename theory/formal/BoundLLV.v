(* BoundLLV.v -- claims sec4-bound and sec4-bound-sharp end to end, in the
   setting of Metric.v: from d^lam_LLV <= eps (mode "max" or "sum") to
     d_{f,g} <= min(1, 2 eps^2)   and   d_{f,g} <= 2 M eps.

   The model is given by its log-probabilities [l : 'I_n -> 'I_K -> R]
   (Metric.v): pivots y0, x0, sets SY, SX, weights w over the inputs
   (positive, summing to one), uniform weights 1/K over the labels.

   d_{f,g} is the maximum of
   - the label side: for each M-tuple ys of labels in a finite family (any
     finite type J with a predicate P; the M-subsets of SY are one such
     family, [subset_tuple]), d_SVD of the cross-covariance over the inputs
     of the standardised coordinates std_coord(l(ys_i|.), l(y0|.)) and
     std_coord(l'(ys_i|.), l'(y0|.)) ([d_label], the object of
     Bound.v's [bound_llv] and [d_fg_bound]);
   - the input side: for an M-tuple xs of inputs in SX, d_SVD of the
     cross-covariance over the labels (weights 1/K) of std_coord(l(.|xs_i),
     l(.|x0)) and its primed twin ([d_input], the object of
     [bound_input_side]).
   The maximum over the family starts from 0 (an empty family adds 0): the
   bound on it is at least as strong as the bound on the plain maximum.

   The bridge to Bound.v: Metric.v's a_y, b_y are Bound.v's [llv_a],
   [llv_b] for the columns l(y|.), l(y0|.) ([a_y_llv_a], [b_y_llv_b]: the
   same expression SD_x[l(y|x)/sigma_y - l'(y|x)/sigma'_y], the same
   division order, definitionally), and c_x, e_x are [llv_a], [llv_b] with
   weights 1/K for the rows l(.|x), l(.|x0) ([c_x_llv_a], [e_x_llv_b]);
   sigma_y and s_x are Bound.v's [sigma] likewise.  Each of a_y, b_y
   (y in SY) is at most T1 and each of c_x, e_x (x in SX) at most T2, hence
   at most d_LLV (and at most d_LLV_sum when lam >= 0).

   Main theorems:
     d_fg_bound_terms         every a_y, b_y, c_x, e_x <= eps  ->  the bound
     d_fg_bound_llv           d_llv lam l l' <= eps      ->  the bound
     d_fg_bound_llv_sum       d_llv_sum lam l l' <= eps  ->  the bound (lam >= 0)
     d_fg_subsets_bound_llv, d_fg_subsets_bound_llv_sum
                              the same with the family of all M-subsets of SY
   Hypotheses: M > 0; every sigma_y (y in SY) and s_x (x in SX) of both
   models positive (and lam >= 0 in mode "sum").  Scalars: any real closed
   field.  The only project axioms are those of Bound.v (the nuclear norm). *)

Set Warnings "-notation-overridden,-ambiguous-paths".
From mathcomp Require Import all_ssreflect all_algebra.
From Closeness Require Import Moments Bound Metric.

Set Implicit Arguments.
Unset Strict Implicit.
Unset Printing Implicit Defensive.

Import Order.TTheory GRing.Theory Num.Theory.
Local Open Scope ring_scope.

Section BoundLLV.
Variables (R : rcfType) (n K : nat) (w : 'I_n -> R).
Hypothesis w_pos : forall i, 0 < w i.
Hypothesis w_sum1 : \sum_i w i = 1.
Variables (y0 : 'I_K) (SY : {set 'I_K}) (x0 : 'I_n) (SX : {set 'I_n}).
Implicit Types (l : model R n K) (lam eps : R).

Local Notation wK := (uniform R K).

(* ---------- the objects of d_{f,g} ---------- *)

(* the label side for the labels ys_1..ys_M (moments over the inputs) *)
Definition d_label (M : nat) l l' (ys : 'I_M -> 'I_K) : R :=
  d_svd (cross_cov w (fun i => std_coord w (fun x => l x (ys i)) (fun x => l x y0))
                     (fun i => std_coord w (fun x => l' x (ys i)) (fun x => l' x y0))).

(* the input side for the inputs xs_1..xs_M (moments over the labels, 1/K) *)
Definition d_input (M : nat) l l' (xs : 'I_M -> 'I_n) : R :=
  d_svd (cross_cov wK (fun i => std_coord wK (fun y => l (xs i) y) (fun y => l x0 y))
                      (fun i => std_coord wK (fun y => l' (xs i) y) (fun y => l' x0 y))).

(* d_{f,g}: the maximum of the label side over the family (ys j, j in P)
   and of the input side *)
Definition d_fg (M : nat) (J : finType) (P : {pred J}) (ys : J -> 'I_M -> 'I_K)
    (xs : 'I_M -> 'I_n) l l' : R :=
  Num.max (\big[Num.max/0]_(j in P) d_label l l' (ys j)) (d_input l l' xs).

(* ---------- Metric.v's terms are Bound.v's ---------- *)

Lemma sigma_label l y :
  Metric.sigma w y0 l y = Bound.sigma w (fun x => l x y) (fun x => l x y0).
Proof. by []. Qed.

Lemma s_x_input l x :
  s_x x0 l x = Bound.sigma wK (fun y => l x y) (fun y => l x0 y).
Proof. by []. Qed.

Lemma a_y_llv_a l l' y :
  a_y w y0 l l' y = llv_a w (fun x => l x y) (fun x => l x y0) (fun x => l' x y) (fun x => l' x y0).
Proof. by []. Qed.

Lemma b_y_llv_b l l' y :
  b_y w y0 l l' y = llv_b w (fun x => l x y) (fun x => l x y0) (fun x => l' x y) (fun x => l' x y0).
Proof. by []. Qed.

Lemma c_x_llv_a l l' x :
  c_x x0 l l' x = llv_a wK (fun y => l x y) (fun y => l x0 y) (fun y => l' x y) (fun y => l' x0 y).
Proof. by []. Qed.

Lemma e_x_llv_b l l' x :
  e_x x0 l l' x = llv_b wK (fun y => l x y) (fun y => l x0 y) (fun y => l' x y) (fun y => l' x0 y).
Proof. by []. Qed.

(* ---------- the terms are at most T1, T2 ---------- *)

Lemma ab_le_T1 l l' y : y \in SY ->
  a_y w y0 l l' y <= T1 w y0 SY l l' /\ b_y w y0 l l' y <= T1 w y0 SY l l'.
Proof.
move=> Yy; have h := le_bmax (fun y => Num.max (a_y w y0 l l' y) (b_y w y0 l l' y)) Yy.
by split; apply: le_trans h; rewrite le_maxr lexx ?orbT.
Qed.

Lemma ce_le_T2 l l' x : x \in SX ->
  c_x x0 l l' x <= T2 x0 SX l l' /\ e_x x0 l l' x <= T2 x0 SX l l'.
Proof.
move=> Xx; have h := le_bmax (fun x => Num.max (c_x x0 l l' x) (e_x x0 l l' x)) Xx.
by split; apply: le_trans h; rewrite le_maxr lexx ?orbT.
Qed.

(* T1, T2 are at most d_LLV_sum (lam >= 0) *)
Lemma T12_le_d_llv_sum lam l l' : 0 <= lam ->
  T1 w y0 SY l l' <= d_llv_sum w y0 SY x0 SX lam l l' /\
  T2 x0 SX l l' <= d_llv_sum w y0 SY x0 SX lam l l'.
Proof.
move=> lam0; have t1 := T1_ge0 w y0 SY l l'; have t2 := T2_ge0 x0 SX l l'.
have t34 : 0 <= lam * (T3 w y0 SY l l' + T4 x0 SX l l').
  by rewrite mulr_ge0 // addr_ge0 ?T3_ge0 ?T4_ge0.
rewrite /d_llv_sum; split; first by rewrite -addrA ler_addl addr_ge0.
by rewrite addrAC ler_addr addr_ge0.
Qed.

(* ---------- the bound from the terms ---------- *)

(* Claims sec4-bound-sharp and sec4-bound from the terms of d_LLV: if every
   a_y, b_y (y in SY) and every c_x, e_x (x in SX) is at most eps, then
   d_{f,g} <= min(1, 2 eps^2) and d_{f,g} <= 2 M eps, for any finite family
   of label M-tuples drawn from SY and any input M-tuple drawn from SX. *)
Theorem d_fg_bound_terms (M : nat) (J : finType) (P : {pred J})
    (ys : J -> 'I_M -> 'I_K) (xs : 'I_M -> 'I_n) eps l l' :
  (0 < M)%N ->
  (forall y, y \in SY -> 0 < Metric.sigma w y0 l y /\ 0 < Metric.sigma w y0 l' y) ->
  (forall x, x \in SX -> 0 < s_x x0 l x /\ 0 < s_x x0 l' x) ->
  (forall j i, j \in P -> ys j i \in SY) -> (forall i, xs i \in SX) ->
  0 <= eps ->
  (forall y, y \in SY -> a_y w y0 l l' y <= eps /\ b_y w y0 l l' y <= eps) ->
  (forall x, x \in SX -> c_x x0 l l' x <= eps /\ e_x x0 l l' x <= eps) ->
  d_fg P ys xs l l' <= Num.min 1 (2 * eps ^+ 2) /\ d_fg P ys xs l l' <= 2 * M%:R * eps.
Proof.
move=> M0 sig_pos s_pos hys hxs e0 hab hce.
have K0 : (0 < K)%N := leq_ltn_trans (leq0n y0) (ltn_ord y0).
have lab j : j \in P ->
    d_label l l' (ys j) <= Num.min 1 (2 * eps ^+ 2) /\ d_label l l' (ys j) <= 2 * M%:R * eps.
  move=> Pj; have Y i := hys j i Pj.
  apply: (bound_llv (l := fun i x => l x (ys j i)) (l' := fun i x => l' x (ys j i))
                    (l0 := fun x => l x y0) (l0' := fun x => l' x y0) w_pos w_sum1 M0).
  - by move=> i; rewrite -sigma_label; exact: (sig_pos _ (Y i)).1.
  - by move=> i; rewrite -sigma_label; exact: (sig_pos _ (Y i)).2.
  - by move=> i; rewrite -a_y_llv_a; exact: (hab _ (Y i)).1.
  - by move=> i; rewrite -b_y_llv_b; exact: (hab _ (Y i)).2.
have [inp1 inp2] : d_input l l' xs <= Num.min 1 (2 * eps ^+ 2) /\ d_input l l' xs <= 2 * M%:R * eps.
  apply: (bound_input_side (g := fun i y => l (xs i) y) (g' := fun i y => l' (xs i) y)
                           (g0 := fun y => l x0 y) (g0' := fun y => l' x0 y) K0 M0).
  - by move=> i; rewrite -s_x_input; exact: (s_pos _ (hxs i)).1.
  - by move=> i; rewrite -s_x_input; exact: (s_pos _ (hxs i)).2.
  - by move=> i; rewrite -c_x_llv_a; exact: (hce _ (hxs i)).1.
  - by move=> i; rewrite -e_x_llv_b; exact: (hce _ (hxs i)).2.
have c1 : 0 <= Num.min 1 (2 * eps ^+ 2).
  by rewrite le_minr ler01 /=; apply: mulr_ge0; [exact: (ler0n R 2) | exact: sqr_ge0].
have c2 : 0 <= 2 * M%:R * eps by apply: mulr_ge0 => //; apply: mulr_ge0; apply: ler0n.
rewrite /d_fg !le_maxl inp1 inp2 !andbT; split.
  by apply: bmax_le => // j /lab [].
by apply: bmax_le => // j /lab [].
Qed.

(* ---------- the bound from d_LLV ---------- *)

(* Claims sec4-bound-sharp and sec4-bound, end to end (mode "max"):
   d^lam_LLV(l, l') <= eps implies d_{f,g} <= min(1, 2 eps^2) and
   d_{f,g} <= 2 M eps. *)
Theorem d_fg_bound_llv (M : nat) (J : finType) (P : {pred J})
    (ys : J -> 'I_M -> 'I_K) (xs : 'I_M -> 'I_n) lam eps l l' :
  (0 < M)%N ->
  (forall y, y \in SY -> 0 < Metric.sigma w y0 l y /\ 0 < Metric.sigma w y0 l' y) ->
  (forall x, x \in SX -> 0 < s_x x0 l x /\ 0 < s_x x0 l' x) ->
  (forall j i, j \in P -> ys j i \in SY) -> (forall i, xs i \in SX) ->
  d_llv w y0 SY x0 SX lam l l' <= eps ->
  d_fg P ys xs l l' <= Num.min 1 (2 * eps ^+ 2) /\ d_fg P ys xs l l' <= 2 * M%:R * eps.
Proof.
move=> M0 sig_pos s_pos hys hxs hd.
have [t1 t2 _ _] := d_llv_ge_terms w y0 SY x0 SX lam l l'.
apply: d_fg_bound_terms => //.
- exact: le_trans (d_llv_ge0 w y0 SY x0 SX lam l l') hd.
- move=> y Yy; have [ha hb] := ab_le_T1 l l' Yy.
  by split; apply: le_trans hd; apply: le_trans t1.
- move=> x Xx; have [hc he] := ce_le_T2 l l' Xx.
  by split; apply: le_trans hd; apply: le_trans t2.
Qed.

(* Claims sec4-bound-sharp and sec4-bound, end to end (mode "sum", lam >= 0) *)
Theorem d_fg_bound_llv_sum (M : nat) (J : finType) (P : {pred J})
    (ys : J -> 'I_M -> 'I_K) (xs : 'I_M -> 'I_n) lam eps l l' :
  0 <= lam -> (0 < M)%N ->
  (forall y, y \in SY -> 0 < Metric.sigma w y0 l y /\ 0 < Metric.sigma w y0 l' y) ->
  (forall x, x \in SX -> 0 < s_x x0 l x /\ 0 < s_x x0 l' x) ->
  (forall j i, j \in P -> ys j i \in SY) -> (forall i, xs i \in SX) ->
  d_llv_sum w y0 SY x0 SX lam l l' <= eps ->
  d_fg P ys xs l l' <= Num.min 1 (2 * eps ^+ 2) /\ d_fg P ys xs l l' <= 2 * M%:R * eps.
Proof.
move=> lam0 M0 sig_pos s_pos hys hxs hd.
have [t1 t2] := T12_le_d_llv_sum l l' lam0.
apply: d_fg_bound_terms => //.
- exact: le_trans (d_llv_sum_ge0 w y0 SY x0 SX l l' lam0) hd.
- move=> y Yy; have [ha hb] := ab_le_T1 l l' Yy.
  by split; apply: le_trans hd; apply: le_trans t1.
- move=> x Xx; have [hc he] := ce_le_T2 l l' Xx.
  by split; apply: le_trans hd; apply: le_trans t2.
Qed.

(* ---------- the family of all M-subsets of SY ---------- *)

(* the M-subsets of SY *)
Definition label_subsets (M : nat) : {pred {set 'I_K}} :=
  [pred A : {set 'I_K} | (A \subset SY) && (#|A| == M)].

(* a subset A as the tuple of its elements in increasing order *)
Definition subset_tuple (M : nat) (A : {set 'I_K}) : 'I_M -> 'I_K :=
  fun i => nth y0 (enum A) i.

Lemma subset_tuple_in (M : nat) (A : {set 'I_K}) (i : 'I_M) :
  A \in label_subsets M -> @subset_tuple M A i \in SY.
Proof.
rewrite inE => /andP[/subsetP AY /eqP AM]; apply: AY.
by rewrite -mem_enum /subset_tuple mem_nth // -cardE AM.
Qed.

(* Claims sec4-bound-sharp and sec4-bound with d_{f,g} the maximum over
   every M-subset of SY (mode "max") *)
Theorem d_fg_subsets_bound_llv (M : nat) (xs : 'I_M -> 'I_n) lam eps l l' :
  (0 < M)%N ->
  (forall y, y \in SY -> 0 < Metric.sigma w y0 l y /\ 0 < Metric.sigma w y0 l' y) ->
  (forall x, x \in SX -> 0 < s_x x0 l x /\ 0 < s_x x0 l' x) ->
  (forall i, xs i \in SX) ->
  d_llv w y0 SY x0 SX lam l l' <= eps ->
  let d := d_fg (label_subsets M) (@subset_tuple M) xs l l' in
  d <= Num.min 1 (2 * eps ^+ 2) /\ d <= 2 * M%:R * eps.
Proof.
move=> M0 sig_pos s_pos hxs hd d.
exact: d_fg_bound_llv M0 sig_pos s_pos (fun A i => @subset_tuple_in M A i) hxs hd.
Qed.

(* the same in mode "sum" (lam >= 0) *)
Theorem d_fg_subsets_bound_llv_sum (M : nat) (xs : 'I_M -> 'I_n) lam eps l l' :
  0 <= lam -> (0 < M)%N ->
  (forall y, y \in SY -> 0 < Metric.sigma w y0 l y /\ 0 < Metric.sigma w y0 l' y) ->
  (forall x, x \in SX -> 0 < s_x x0 l x /\ 0 < s_x x0 l' x) ->
  (forall i, xs i \in SX) ->
  d_llv_sum w y0 SY x0 SX lam l l' <= eps ->
  let d := d_fg (label_subsets M) (@subset_tuple M) xs l l' in
  d <= Num.min 1 (2 * eps ^+ 2) /\ d <= 2 * M%:R * eps.
Proof.
move=> lam0 M0 sig_pos s_pos hxs hd d.
exact: d_fg_bound_llv_sum lam0 M0 sig_pos s_pos (fun A i => @subset_tuple_in M A i) hxs hd.
Qed.

End BoundLLV.
