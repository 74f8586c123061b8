(* Metric.v -- Section 4 of the paper: with fixed pivots and sets, the
   log-likelihood variance distance d_LLV is a pseudometric (non-negative,
   symmetric, zero on equal models, triangle inequality), and on the paper's
   domain it is zero only on equal models (identity of indiscernibles).

   Names follow theory/distances.py ([label_terms], [input_terms],
   [assemble_llv_terms], [d_llv]).  A model is given by its log-probabilities
   [l : 'I_n -> 'I_K -> R], [l x y] = log p(y|x), over n inputs and K labels.
   Moments over inputs use the weights [w] (p_D: positive, summing to one);
   moments over labels are uniform over all K labels (weights 1/K).

   Fixed: pivot label [y0], label set [SY], pivot input [x0], input set [SX].
     sigma l y = SD_x[l(y|x) - l(y0|x)]       s_x l x = SD_y[l(y|x) - l(y|x0)]
     a_y = SD_x[l(y|x)/sigma_y  - l'(y|x)/sigma'_y]
     b_y = SD_x[l(y0|x)/sigma_y - l'(y0|x)/sigma'_y]
     c_x = SD_y[l(y|x)/s_x  - l'(y|x)/s'_x]
     e_x = SD_y[l(y|x0)/s_x - l'(y|x0)/s'_x]
     T1 = max_{y in SY} max(a_y, b_y)     T2 = max_{x in SX} max(c_x, e_x)
     T3 = max_{y in SY} |sigma_y - sigma'_y|   T4 = max_{x in SX} |s_x - s'_x|
     d_llv lam     = max(T1, T2, lam T3, lam T4)    (mode "max", the paper's)
     d_llv_sum lam = T1 + T2 + lam (T3 + T4)        (mode "sum")
   Maxima over a set start from 0 (all the terms are non-negative).

   Division is mathcomp's total division (x / 0 = 0).  With it the
   pseudometric properties hold for all models, with no positivity hypothesis:
   they hold in particular on the paper's domain (every sigma_y, s_x > 0),
   where the definitions are the paper's.  Positivity is needed only for the
   identity of indiscernibles.

   The pseudometric part holds over any real closed field [R : rcfType] and
   uses no axiom; the identity of indiscernibles uses [expR] and is stated
   over [R : realType] (mathcomp-analysis, with its classical axioms).

   Contents:
   - [d_llv_ge0], [d_llv_sym], [d_llv_self], [d_llv_triangle] (lam >= 0) and
     the same for [d_llv_sum]: the pseudometric properties;
   - [d_llv_cross0]: d_LLV sees l only on the labels y0 |: SY (every input)
     and on the inputs x0 |: SX (every label);
   - [d_llv_zero_iff], [d_llv_sum_zero_iff]: identity of indiscernibles when
     y0 |: SY misses at most one label (normalisation recovers it);
   - [d_llv_zero_two_left_out_counterexample]: with two labels left out the
     identity of indiscernibles fails (4 labels, 3 inputs). *)

From mathcomp Require Import all_ssreflect all_algebra.
From mathcomp Require Import reals sequences exp.
From Closeness Require Import Moments.

Set Implicit Arguments.
Unset Strict Implicit.
Unset Printing Implicit Defensive.

Import Order.TTheory GRing.Theory Num.Theory.
Local Open Scope ring_scope.

(* ------------------------------------------------------------------------ *)
(* Maxima over a finite set, starting from 0                                 *)
(* ------------------------------------------------------------------------ *)

Section BigMax.
Variables (R : realDomainType) (I : finType).
Implicit Types (P : {pred I}) (f g h : I -> R) (c : R).

Local Notation bmax P f := (\big[Num.max/0]_(i in P) f i).

Lemma bmax_ge0 P f : 0 <= bmax P f.
Proof. by elim/big_rec: _ => // i x _ hx; rewrite le_maxr hx orbT. Qed.

Lemma le_bmax P f i : i \in P -> f i <= bmax P f.
Proof.
move=> Pi; have : i \in index_enum I by rewrite mem_index_enum.
elim: (index_enum I) => // j r IH; rewrite inE big_cons => /orP[/eqP<-|/IH h].
  by rewrite Pi le_maxr lexx.
by case: ifP => // _; rewrite le_maxr h orbT.
Qed.

Lemma bmax_le P f c : 0 <= c -> (forall i, i \in P -> f i <= c) -> bmax P f <= c.
Proof. by move=> c0 hf; elim/big_rec: _ => // i x /hf fi hx; rewrite le_maxl fi hx. Qed.

Lemma bmax0 P f : (forall i, i \in P -> f i = 0) -> bmax P f = 0.
Proof. by move=> f0; elim/big_rec: _ => // i x Pi ->; rewrite f0 // maxxx. Qed.

Lemma bmax_eq0 P f : (forall i, 0 <= f i) -> bmax P f = 0 -> forall i, i \in P -> f i = 0.
Proof. by move=> f0 m0 i Pi; apply/le_anti; rewrite f0 -m0 le_bmax. Qed.

Lemma eq_bmax P f g : (forall i, i \in P -> f i = g i) -> bmax P f = bmax P g.
Proof. exact: eq_bigr. Qed.

Lemma bmax_triangle P f g h :
  (forall i, i \in P -> f i <= g i + h i) -> bmax P f <= bmax P g + bmax P h.
Proof.
move=> fgh; apply: bmax_le => [|i Pi]; first by rewrite addr_ge0 ?bmax_ge0.
by apply: le_trans (fgh i Pi) _; rewrite ler_add ?le_bmax.
Qed.

End BigMax.

(* a maximum of non-negative numbers is zero only if both are *)
Lemma max_eq0 (R : realDomainType) (a b : R) :
  0 <= a -> 0 <= b -> Num.max a b = 0 -> a = 0 /\ b = 0.
Proof.
move=> a0 b0 m0; have : Num.max a b <= 0 by rewrite m0.
by rewrite le_maxl => /andP[a1 b1]; split; apply/le_anti; rewrite ?a1 ?b1 ?a0 ?b0.
Qed.

(* ------------------------------------------------------------------------ *)
(* The building block SD[u/s - u'/s'] of the terms a, b, c, e                *)
(* ------------------------------------------------------------------------ *)

(* SD of the difference of u scaled by 1/s and u' scaled by 1/s' *)
Definition sd_diff (R : rcfType) (m : nat) (v : 'I_m -> R)
    (u : 'I_m -> R) (s : R) (u' : 'I_m -> R) (s' : R) : R :=
  sd v (fun i => u i / s - u' i / s').

Section SdDiff.
Variables (R : rcfType) (m : nat) (v : 'I_m -> R).
Hypothesis v_pos : forall i, 0 < v i.
Hypothesis v_sum1 : \sum_i v i = 1.
Implicit Types (u : 'I_m -> R) (s : R).

Local Notation sd_diff := (sd_diff v).

Lemma sd_diff_ge0 u s u' s' : 0 <= sd_diff u s u' s'.
Proof using v_pos v_sum1. exact: sd_ge0. Qed.

Lemma sd_diff_sym u s u' s' : sd_diff u s u' s' = sd_diff u' s' u s.
Proof using v_pos v_sum1.
rewrite /sd_diff; transitivity (sd v (fun i => - (u' i / s' - u i / s))).
  by apply: eq_sd => // i; rewrite opprB.
by apply: sd_opp.
Qed.

Lemma sd_diff_eq0 u u' s : u =1 u' -> sd_diff u s u' s = 0.
Proof using v_pos v_sum1.
move=> e; rewrite /sd_diff; transitivity (sd v (fun=> 0)).
  by apply: eq_sd => // i; rewrite e subrr.
by apply: sd_const.
Qed.

(* l/s - l''/s'' = (l/s - l'/s') + (l'/s' - l''/s''), then Minkowski *)
Lemma sd_diff_triangle u s u' s' u'' s'' :
  sd_diff u s u'' s'' <= sd_diff u s u' s' + sd_diff u' s' u'' s''.
Proof using v_pos v_sum1.
rewrite /sd_diff.
have -> : sd v (fun i => u i / s - u'' i / s'')
        = sd v (fun i => (u i / s - u' i / s') + (u' i / s' - u'' i / s'')).
  by apply: eq_sd => // i; rewrite addrA subrK.
by apply: sd_add_le.
Qed.

(* SD[u/s - u'/s] = 0 with s <> 0 makes u - u' constant (the weights are positive) *)
Lemma sd_diff0 u u' s :
  s != 0 -> sd_diff u s u' s = 0 -> forall i j, u i - u' i = u j - u' j.
Proof using v_pos v_sum1.
move=> s0 h.
have v0 : var v (fun i => u i / s - u' i / s) = 0.
  apply/le_anti; rewrite var_ge0 // andbT -sqrtr_eq0; apply/eqP; exact: h.
have hc : forall i j, u i / s - u' i / s = u j / s - u' j / s by apply: var0_const.
move=> i j; have := hc i j; rewrite -!mulrBl.
by apply: mulIf; rewrite invr_eq0.
Qed.

End SdDiff.

(* ------------------------------------------------------------------------ *)
(* The log-likelihood variance distance                                      *)
(* ------------------------------------------------------------------------ *)

Section LLV.
Variables (R : rcfType) (n K : nat) (w : 'I_n -> R).
Hypothesis w_pos : forall i, 0 < w i.
Hypothesis w_sum1 : \sum_i w i = 1.
Variables (y0 : 'I_K) (SY : {set 'I_K}) (x0 : 'I_n) (SX : {set 'I_n}).

(* log-probabilities l x y = log p(y|x) *)
Definition model := 'I_n -> 'I_K -> R.
Implicit Types (l : model) (lam : R).

Local Notation wK := (uniform R K).

(* sigma_y = SD_x[l(y|x) - l(y0|x)] *)
Definition sigma l (y : 'I_K) : R := sd w (fun x => l x y - l x y0).
(* s_x = SD_y[l(y|x) - l(y|x0)] *)
Definition s_x l (x : 'I_n) : R := sd wK (fun y => l x y - l x0 y).

(* label terms: a_y = SD_x[l(y|x)/sigma_y - l'(y|x)/sigma'_y],
                b_y = SD_x[l(y0|x)/sigma_y - l'(y0|x)/sigma'_y] *)
Definition a_y l l' y := sd_diff w (fun x => l x y) (sigma l y) (fun x => l' x y) (sigma l' y).
Definition b_y l l' y := sd_diff w (fun x => l x y0) (sigma l y) (fun x => l' x y0) (sigma l' y).
(* input terms: c_x = SD_y[l(y|x)/s_x - l'(y|x)/s'_x],
                e_x = SD_y[l(y|x0)/s_x - l'(y|x0)/s'_x] *)
Definition c_x l l' x := sd_diff wK (fun y => l x y) (s_x l x) (fun y => l' x y) (s_x l' x).
Definition e_x l l' x := sd_diff wK (fun y => l x0 y) (s_x l x) (fun y => l' x0 y) (s_x l' x).

Definition T1 l l' := \big[Num.max/0]_(y in SY) Num.max (a_y l l' y) (b_y l l' y).
Definition T2 l l' := \big[Num.max/0]_(x in SX) Num.max (c_x l l' x) (e_x l l' x).
Definition T3 l l' := \big[Num.max/0]_(y in SY) `|sigma l y - sigma l' y|.
Definition T4 l l' := \big[Num.max/0]_(x in SX) `|s_x l x - s_x l' x|.

(* the paper's d^lam_LLV (mode "max") and the code's alternative (mode "sum") *)
Definition d_llv lam l l' :=
  Num.max (Num.max (T1 l l') (T2 l l')) (Num.max (lam * T3 l l') (lam * T4 l l')).
Definition d_llv_sum lam l l' := T1 l l' + T2 l l' + lam * (T3 l l' + T4 l l').

(* ---------- the four terms ---------- *)

Lemma K_gt0 : (0 < K)%N. Proof. exact: leq_ltn_trans (leq0n y0) (ltn_ord y0). Qed.
Lemma wK_pos i : 0 < wK i. Proof. exact: (@uniform_pos R K K_gt0). Qed.
Lemma wK_sum1 : \sum_i wK i = 1. Proof. exact: (@uniform_sum1 R K K_gt0). Qed.

Lemma a_y_ge0 l l' y : 0 <= a_y l l' y. Proof. exact: (sd_diff_ge0 w_pos w_sum1). Qed.
Lemma b_y_ge0 l l' y : 0 <= b_y l l' y. Proof. exact: (sd_diff_ge0 w_pos w_sum1). Qed.
Lemma c_x_ge0 l l' x : 0 <= c_x l l' x. Proof. exact: (sd_diff_ge0 wK_pos wK_sum1). Qed.
Lemma e_x_ge0 l l' x : 0 <= e_x l l' x. Proof. exact: (sd_diff_ge0 wK_pos wK_sum1). Qed.

Lemma T1_ge0 l l' : 0 <= T1 l l'. Proof. exact: bmax_ge0. Qed.
Lemma T2_ge0 l l' : 0 <= T2 l l'. Proof. exact: bmax_ge0. Qed.
Lemma T3_ge0 l l' : 0 <= T3 l l'. Proof. exact: bmax_ge0. Qed.
Lemma T4_ge0 l l' : 0 <= T4 l l'. Proof. exact: bmax_ge0. Qed.

Lemma T1_sym l l' : T1 l l' = T1 l' l.
Proof. by apply: eq_bmax => y _; rewrite /a_y /b_y !(sd_diff_sym w_pos w_sum1 (fun x => l x _)). Qed.

Lemma T2_sym l l' : T2 l l' = T2 l' l.
Proof. by apply: eq_bmax => x _; rewrite /c_x /e_x !(sd_diff_sym wK_pos wK_sum1 (fun y => l _ y)). Qed.

Lemma T3_sym l l' : T3 l l' = T3 l' l.
Proof. by apply: eq_bmax => y _; rewrite distrC. Qed.

Lemma T4_sym l l' : T4 l l' = T4 l' l.
Proof. by apply: eq_bmax => x _; rewrite distrC. Qed.

Lemma T1_self l : T1 l l = 0.
Proof. by apply: bmax0 => y _; rewrite /a_y /b_y !(sd_diff_eq0 w_pos w_sum1) // maxxx. Qed.

Lemma T2_self l : T2 l l = 0.
Proof. by apply: bmax0 => x _; rewrite /c_x /e_x !(sd_diff_eq0 wK_pos wK_sum1) // maxxx. Qed.

Lemma T3_self l : T3 l l = 0.
Proof. by apply: bmax0 => y _; rewrite subrr normr0. Qed.

Lemma T4_self l : T4 l l = 0.
Proof. by apply: bmax0 => x _; rewrite subrr normr0. Qed.

Lemma T1_triangle l l' l'' : T1 l l'' <= T1 l l' + T1 l' l''.
Proof.
apply: bmax_triangle => y _; rewrite le_maxl; apply/andP; split.
  apply: le_trans (sd_diff_triangle w_pos w_sum1 _ _ (fun x => l' x y) (sigma l' y) _ _) _ => //.
  by apply: ler_add; rewrite le_maxr lexx.
apply: le_trans (sd_diff_triangle w_pos w_sum1 _ _ (fun x => l' x y0) (sigma l' y) _ _) _ => //.
by apply: ler_add; rewrite le_maxr lexx orbT.
Qed.

Lemma T2_triangle l l' l'' : T2 l l'' <= T2 l l' + T2 l' l''.
Proof.
apply: bmax_triangle => x _; rewrite le_maxl; apply/andP; split.
  apply: le_trans (sd_diff_triangle wK_pos wK_sum1 _ _ (fun y => l' x y) (s_x l' x) _ _) _ => //.
  by apply: ler_add; rewrite le_maxr lexx.
apply: le_trans (sd_diff_triangle wK_pos wK_sum1 _ _ (fun y => l' x0 y) (s_x l' x) _ _) _ => //.
by apply: ler_add; rewrite le_maxr lexx orbT.
Qed.

Lemma T3_triangle l l' l'' : T3 l l'' <= T3 l l' + T3 l' l''.
Proof. by apply: bmax_triangle => y _; apply: ler_dist_add. Qed.

Lemma T4_triangle l l' l'' : T4 l l'' <= T4 l l' + T4 l' l''.
Proof. by apply: bmax_triangle => x _; apply: ler_dist_add. Qed.

(* ---------- what d_LLV sees ---------- *)

(* d_LLV only sees l on the labels y0 |: SY (all inputs) and on the inputs
   x0 |: SX (all labels): two models agreeing there have all four terms zero *)
Lemma terms_cross0 l l' :
  (forall x y, y \in y0 |: SY -> l x y = l' x y) ->
  (forall x y, x \in x0 |: SX -> l x y = l' x y) ->
  [/\ T1 l l' = 0, T2 l l' = 0, T3 l l' = 0 & T4 l l' = 0].
Proof.
move=> eY eX.
have eY0 x : l x y0 = l' x y0 by apply: eY; rewrite setU11.
have eX0 y : l x0 y = l' x0 y by apply: eX; rewrite setU11.
have esig y : y \in SY -> sigma l' y = sigma l y.
  move=> Yy; apply: eq_sd => // x.
  by rewrite eY0 (eY x y) // in_setU1 Yy orbT.
have es x : x \in SX -> s_x l' x = s_x l x.
  move=> Xx; have h1 := wK_pos; have h2 := wK_sum1; apply: eq_sd => // y.
  by rewrite eX0 (eX x y) // in_setU1 Xx orbT.
split; apply: bmax0.
- move=> y Yy; have Yy' : y \in y0 |: SY by rewrite in_setU1 Yy orbT.
  rewrite /a_y /b_y esig // (sd_diff_eq0 w_pos w_sum1 _ (fun x => eY x y Yy')).
  by rewrite (sd_diff_eq0 w_pos w_sum1 _ eY0) maxxx.
- move=> x Xx; have Xx' : x \in x0 |: SX by rewrite in_setU1 Xx orbT.
  rewrite /c_x /e_x es // (sd_diff_eq0 wK_pos wK_sum1 _ (fun y => eX x y Xx')).
  by rewrite (sd_diff_eq0 wK_pos wK_sum1 _ eX0) maxxx.
- by move=> y Yy; rewrite esig // subrr normr0.
- by move=> x Xx; rewrite es // subrr normr0.
Qed.

Lemma d_llv_cross0 lam l l' :
  (forall x y, y \in y0 |: SY -> l x y = l' x y) ->
  (forall x y, x \in x0 |: SX -> l x y = l' x y) ->
  d_llv lam l l' = 0.
Proof.
by move=> eY eX; rewrite /d_llv; have [-> -> -> ->] := terms_cross0 eY eX; rewrite mulr0 !maxxx.
Qed.

(* ---------- Section 4, d_LLV is a distance: mode "max" ---------- *)

(* each of T1, T2, lam T3, lam T4 is at most d_llv lam *)
Lemma d_llv_ge_terms lam l l' :
  [/\ T1 l l' <= d_llv lam l l', T2 l l' <= d_llv lam l l',
      lam * T3 l l' <= d_llv lam l l' & lam * T4 l l' <= d_llv lam l l'].
Proof. by split; rewrite /d_llv !le_maxr lexx ?orbT. Qed.

(* Section 4, d_LLV is a distance: non-negativity *)
Theorem d_llv_ge0 lam l l' : 0 <= d_llv lam l l'.
Proof. by rewrite /d_llv !le_maxr T1_ge0. Qed.

(* Section 4, d_LLV is a distance: symmetry *)
Theorem d_llv_sym lam l l' : d_llv lam l l' = d_llv lam l' l.
Proof. by rewrite /d_llv T1_sym T2_sym T3_sym T4_sym. Qed.

(* Section 4, d_LLV is a distance: d(l, l) = 0 *)
Theorem d_llv_self lam l : d_llv lam l l = 0.
Proof. by rewrite /d_llv T1_self T2_self T3_self T4_self mulr0 !maxxx. Qed.

(* Section 4, d_LLV is a distance: triangle inequality (lam >= 0) *)
Theorem d_llv_triangle lam l l' l'' :
  0 <= lam -> d_llv lam l l'' <= d_llv lam l l' + d_llv lam l' l''.
Proof.
move=> lam0.
have [a1 a2 a3 a4] := d_llv_ge_terms lam l l'.
have [b1 b2 b3 b4] := d_llv_ge_terms lam l' l''.
rewrite /d_llv !le_maxl; apply/andP; split; apply/andP; split.
- exact: le_trans (T1_triangle l l' l'') (ler_add a1 b1).
- exact: le_trans (T2_triangle l l' l'') (ler_add a2 b2).
- apply: le_trans (ler_add a3 b3); rewrite -mulrDr.
  by apply: ler_wpmul2l => //; apply: T3_triangle.
- apply: le_trans (ler_add a4 b4); rewrite -mulrDr.
  by apply: ler_wpmul2l => //; apply: T4_triangle.
Qed.

(* ---------- Section 4, d_LLV is a distance: mode "sum" ---------- *)

(* Section 4, d_LLV is a distance (sum mode): non-negativity (lam >= 0) *)
Theorem d_llv_sum_ge0 lam l l' : 0 <= lam -> 0 <= d_llv_sum lam l l'.
Proof.
move=> lam0; rewrite /d_llv_sum !addr_ge0 ?T1_ge0 ?T2_ge0 //.
by rewrite mulr_ge0 // addr_ge0 ?T3_ge0 ?T4_ge0.
Qed.

(* Section 4, d_LLV is a distance (sum mode): symmetry *)
Theorem d_llv_sum_sym lam l l' : d_llv_sum lam l l' = d_llv_sum lam l' l.
Proof. by rewrite /d_llv_sum T1_sym T2_sym T3_sym T4_sym. Qed.

(* Section 4, d_LLV is a distance (sum mode): d(l, l) = 0 *)
Theorem d_llv_sum_self lam l : d_llv_sum lam l l = 0.
Proof. by rewrite /d_llv_sum T1_self T2_self T3_self T4_self !(addr0, mulr0). Qed.

(* Section 4, d_LLV is a distance (sum mode): triangle inequality (lam >= 0) *)
Theorem d_llv_sum_triangle lam l l' l'' :
  0 <= lam -> d_llv_sum lam l l'' <= d_llv_sum lam l l' + d_llv_sum lam l' l''.
Proof.
move=> lam0.
have -> : d_llv_sum lam l l' + d_llv_sum lam l' l'' =
    (T1 l l' + T1 l' l'') + (T2 l l' + T2 l' l'')
    + lam * ((T3 l l' + T3 l' l'') + (T4 l l' + T4 l' l'')).
  rewrite /d_llv_sum addrACA -mulrDr [T1 l l' + _ + _]addrACA.
  by rewrite [(T3 l l' + _) + _]addrACA.
apply: ler_add; first by apply: ler_add; [apply: T1_triangle | apply: T2_triangle].
by apply: ler_wpmul2l => //; apply: ler_add; [apply: T3_triangle | apply: T4_triangle].
Qed.

(* ---------- both modes vanish together ---------- *)

Lemma d_llv_eq0P lam l l' : 0 <= lam ->
  d_llv lam l l' = 0 <->
  [/\ T1 l l' = 0, T2 l l' = 0, lam * T3 l l' = 0 & lam * T4 l l' = 0].
Proof.
move=> lam0; split; last by rewrite /d_llv; case=> -> -> -> ->; rewrite !maxxx.
move=> d0; have [t1 t2 t3 t4] := d_llv_ge_terms lam l l'; rewrite d0 in t1 t2 t3 t4.
have [t1' t2'] := (T1_ge0 l l', T2_ge0 l l').
have [t3' t4'] := (mulr_ge0 lam0 (T3_ge0 l l'), mulr_ge0 lam0 (T4_ge0 l l')).
by split; apply/le_anti; rewrite ?t1 ?t2 ?t3 ?t4 ?t1' ?t2' ?t3' ?t4'.
Qed.

Lemma d_llv_sum_eq0P lam l l' : 0 <= lam ->
  d_llv_sum lam l l' = 0 <->
  [/\ T1 l l' = 0, T2 l l' = 0, lam * T3 l l' = 0 & lam * T4 l l' = 0].
Proof.
move=> lam0; have [t1 t2] := (T1_ge0 l l', T2_ge0 l l').
have [t3 t4] := (mulr_ge0 lam0 (T3_ge0 l l'), mulr_ge0 lam0 (T4_ge0 l l')).
rewrite /d_llv_sum mulrDr; split; last by case=> -> -> -> ->; rewrite !addr0.
move/eqP; rewrite paddr_eq0 ?addr_ge0 // => /andP[].
by rewrite !paddr_eq0 // => /andP[/eqP-> /eqP->] /andP[/eqP-> /eqP->].
Qed.

End LLV.

(* ------------------------------------------------------------------------ *)
(* Identity of indiscernibles (needs expR: over a realType)                  *)
(* ------------------------------------------------------------------------ *)

Section Indiscernibles.
Variables (R : realType) (n K : nat) (w : 'I_n -> R).
Hypothesis w_pos : forall i, 0 < w i.
Hypothesis w_sum1 : \sum_i w i = 1.
Variables (y0 : 'I_K) (SY : {set 'I_K}) (x0 : 'I_n) (SX : {set 'I_n}).
Implicit Types (l : model R n K) (lam : R).

Local Notation sigma := (sigma w y0).
Local Notation s_x := (s_x x0).
Local Notation a_y := (a_y w y0).
Local Notation b_y := (b_y w y0).
Local Notation c_x := (c_x x0).
Local Notation e_x := (e_x x0).
Local Notation T1 := (T1 w y0 SY).
Local Notation T2 := (T2 x0 SX).
Local Notation T3 := (T3 w y0 SY).
Local Notation T4 := (T4 x0 SX).
Local Notation d_llv := (d_llv w y0 SY x0 SX).
Let wK_pos := wK_pos R y0.
Let wK_sum1 := wK_sum1 R y0.

(* two normalised models whose log-probabilities differ by a constant c are equal: c = 0 *)
Lemma shift_norm (f g : 'I_K -> R) c :
  \sum_y expR (f y) = 1 -> \sum_y expR (g y) = 1 -> (forall y, f y - g y = c) -> c = 0.
Proof.
move=> nf ng fg.
have : \sum_y expR (g y) = expR (- c) * \sum_y expR (f y).
  rewrite mulr_sumr; apply: eq_bigr => y _.
  by rewrite -expRD -(fg y) opprB subrK.
rewrite ng nf mulr1 -expR0 => /expR_inj h.
by rewrite -[c]opprK -h oppr0.
Qed.

(* normalisation fixes the one label left: equal elsewhere, equal there too *)
Lemma left_out (f g : 'I_K -> R) y :
  \sum_y expR (f y) = 1 -> \sum_y expR (g y) = 1 ->
  (forall y', y' != y -> f y' = g y') -> f y = g y.
Proof.
move=> nf ng e; apply: expR_inj.
have rest : \sum_(y' | y' != y) expR (g y') = \sum_(y' | y' != y) expR (f y').
  by apply: eq_bigr => y' /e ->.
move: nf; rewrite (bigD1 y) //= => nf.
move: ng; rewrite (bigD1 y) //= rest => ng.
by apply: (addIr (\sum_(y' | y' != y) expR (f y'))); rewrite nf ng.
Qed.

(* Section 4, d_LLV is a distance: zero exactly on equal models.  Hypotheses
   (the paper's domain): lam > 0; both models normalised; every sigma_y
   (y in SY) and s_x (x in SX) of both models positive; SY and SX nonempty;
   SY together with the pivot y0 misses at most one label.
   SY nonempty is needed: with SY empty nothing ties l(y0|x) at inputs
   outside x0 |: SX (then K <= 2 and l may differ there). *)
Theorem d_llv_zero_iff lam l l' :
  0 < lam ->
  (forall x, \sum_y expR (l x y) = 1) -> (forall x, \sum_y expR (l' x y) = 1) ->
  (forall y, y \in SY -> 0 < sigma l y /\ 0 < sigma l' y) ->
  (forall x, x \in SX -> 0 < s_x l x /\ 0 < s_x l' x) ->
  SY != set0 -> SX != set0 -> (#|~: (y0 |: SY)| <= 1)%N ->
  d_llv lam l l' = 0 <-> (forall x y, l x y = l' x y).
Proof.
move=> lam_gt0 nl nl' sig_pos s_pos SY0 SX0 left1; split; last first.
  (* equal models are at distance 0 *)
  by move=> e; apply: (d_llv_cross0 w_pos w_sum1) => x y _; apply: e.
(* d = 0: all four terms vanish *)
move=> d0; have [t1 t2 t3 t4] := d_llv_ge_terms w y0 SY x0 SX lam l l'; rewrite d0 in t1 t2 t3 t4.
have T1_0 : T1 l l' = 0 by apply/le_anti; rewrite t1 T1_ge0.
have T2_0 : T2 l l' = 0 by apply/le_anti; rewrite t2 T2_ge0.
have T3_0 : T3 l l' = 0 by apply/le_anti; rewrite -(pmulr_rle0 _ lam_gt0) t3 T3_ge0.
have T4_0 : T4 l l' = 0 by apply/le_anti; rewrite -(pmulr_rle0 _ lam_gt0) t4 T4_ge0.
have ab y : y \in SY -> a_y l l' y = 0 /\ b_y l l' y = 0.
  move=> Yy; apply: max_eq0; rewrite ?(a_y_ge0 w_pos w_sum1) ?(b_y_ge0 w_pos w_sum1) //.
  by apply: (bmax_eq0 _ T1_0 Yy) => y'; rewrite le_maxr (a_y_ge0 w_pos w_sum1).
have ce x : x \in SX -> c_x l l' x = 0 /\ e_x l l' x = 0.
  move=> Xx; apply: max_eq0; rewrite ?(c_x_ge0 y0) ?(e_x_ge0 y0) //.
  by apply: (bmax_eq0 _ T2_0 Xx) => x'; rewrite le_maxr (c_x_ge0 y0).
have sig_eq y : y \in SY -> sigma l y = sigma l' y.
  move=> Yy; apply/eqP; rewrite -subr_eq0 -normr_eq0; apply/eqP.
  by apply: (bmax_eq0 _ T3_0 Yy) => y'; apply: normr_ge0.
have s_eq x : x \in SX -> s_x l x = s_x l' x.
  move=> Xx; apply/eqP; rewrite -subr_eq0 -normr_eq0; apply/eqP.
  by apply: (bmax_eq0 _ T4_0 Xx) => x'; apply: normr_ge0.
(* a_y = b_y = 0 and sigma_y = sigma'_y: l - l' is constant in x, for y in y0 |: SY *)
have cst_lab y : y \in y0 |: SY -> forall x x', l x y - l' x y = l x' y - l' x' y.
  have /set0Pn[y1 Y1] := SY0.
  rewrite in_setU1 => /orP[/eqP->|Yy].
    have [_] := ab y1 Y1; rewrite /b_y -(sig_eq y1 Y1) => b0.
    exact: (sd_diff0 w_pos w_sum1 (lt0r_neq0 (sig_pos y1 Y1).1) b0).
  have [a0 _] := ab y Yy; move: a0; rewrite /a_y -(sig_eq y Yy) => a0.
  exact: (sd_diff0 w_pos w_sum1 (lt0r_neq0 (sig_pos y Yy).1) a0).
(* e_x = 0 and s_x = s'_x (some x in SX): at x0, l - l' is constant over all labels *)
have cst_in y y' : l x0 y - l' x0 y = l x0 y' - l' x0 y'.
  have /set0Pn[x1 X1] := SX0.
  have [_] := ce x1 X1; rewrite /e_x -(s_eq x1 X1) => e0.
  exact: (sd_diff0 wK_pos wK_sum1 (lt0r_neq0 (s_pos x1 X1).1) e0).
(* so l - l' is one constant c on x0 (all labels) and on y0 |: SY (all inputs) ... *)
have c0 : l x0 y0 - l' x0 y0 = 0.
  by apply: (shift_norm (nl x0) (nl' x0)) => y; apply: cst_in.
have in_lab y : y \in y0 |: SY -> forall x, l x y = l' x y.
  by move=> Yy x; apply/eqP; rewrite -subr_eq0 (cst_lab y Yy x x0) (cst_in y y0) c0.
(* ... and normalisation gives the label left out *)
move=> x y; have [Yy|nYy] := boolP (y \in y0 |: SY); first exact: in_lab.
apply: (left_out (nl x) (nl' x)) => y' y'y; apply: in_lab.
apply/negPn/negP => nY'; move/eqP: y'y; apply.
by move/card_le1_eqP: left1 => /(_ y y'); rewrite !in_setC; apply.
Qed.

(* Section 4, d_LLV is a distance (sum mode): zero exactly on equal models,
   under the hypotheses of [d_llv_zero_iff] *)
Theorem d_llv_sum_zero_iff lam l l' :
  0 < lam ->
  (forall x, \sum_y expR (l x y) = 1) -> (forall x, \sum_y expR (l' x y) = 1) ->
  (forall y, y \in SY -> 0 < sigma l y /\ 0 < sigma l' y) ->
  (forall x, x \in SX -> 0 < s_x l x /\ 0 < s_x l' x) ->
  SY != set0 -> SX != set0 -> (#|~: (y0 |: SY)| <= 1)%N ->
  d_llv_sum w y0 SY x0 SX lam l l' = 0 <-> (forall x y, l x y = l' x y).
Proof.
move=> lam_gt0 nl nl' sig_pos s_pos SY0 SX0 left1.
rewrite -(d_llv_zero_iff lam_gt0 nl nl' sig_pos s_pos SY0 SX0 left1).
have lam0 := ltW lam_gt0.
by rewrite (d_llv_sum_eq0P w y0 SY x0 SX l l' lam0) (d_llv_eq0P w y0 SY x0 SX l l' lam0).
Qed.

End Indiscernibles.

(* ------------------------------------------------------------------------ *)
(* With two labels left out, d_LLV = 0 no longer forces equal models         *)
(* ------------------------------------------------------------------------ *)

(* a vector that is not constant has positive SD *)
Lemma sd_gt0 (R : rcfType) (m : nat) (v u : 'I_m -> R) :
  (forall i, 0 < v i) -> \sum_i v i = 1 -> forall i j, u i != u j -> 0 < sd v u.
Proof.
move=> v_pos v_sum1 i j nij; rewrite lt_neqAle sd_ge0 // andbT eq_sym.
apply: contra nij => /eqP s0.
have v0 : var v u = 0.
  apply/le_anti; rewrite var_ge0 // andbT -sqrtr_eq0; apply/eqP; exact: s0.
have hc : forall i j, u i = u j by apply: var0_const.
by apply/eqP; apply: hc.
Qed.

Section TwoLeftOut.
Variable R : realType.

Local Notation lab k := (@Ordinal 4 k isT).
Local Notation inp k := (@Ordinal 3 k isT).

(* 3 inputs with uniform weights, 4 labels; y0 = 0, SY = {1}, x0 = 0, SX = {1};
   the labels 2 and 3 are both left out *)
Definition cex_w : 'I_3 -> R := uniform R 3.
Definition cex_y0 : 'I_4 := lab 0.
Definition cex_SY : {set 'I_4} := [set lab 1].
Definition cex_x0 : 'I_3 := inp 0.
Definition cex_SX : {set 'I_3} := [set inp 1].

(* p(y|x) = k(x, y) / 8; the second model swaps the labels 2 and 3 at the
   input 2, which lies outside x0 |: SX *)
Definition cex_k (x : 'I_3) (y : 'I_4) : nat :=
  (nth 0 (nth [::] [:: [:: 2; 2; 2; 2]; [:: 4; 2; 1; 1]; [:: 2; 2; 3; 1]] x) y)%N.
Definition cex_k' (x : 'I_3) (y : 'I_4) : nat :=
  if x == inp 2 then (nth 0 [:: 2; 2; 1; 3] y)%N else cex_k x y.
Definition cex_l : model R 3 4 := fun x y => ln ((cex_k x y)%:R / 8%:R).
Definition cex_l' : model R 3 4 := fun x y => ln ((cex_k' x y)%:R / 8%:R).

Let pos8 (c : nat) : (0 < c)%N -> (c%:R / 8%:R : R) \in Num.pos.
Proof. by move=> c0; rewrite posrE divr_gt0 ?ltr0n. Qed.

Let norm8 (k : 'I_4 -> nat) :
  (forall y, 0 < k y)%N -> (\sum_y k y = 8)%N -> \sum_y expR (ln ((k y)%:R / 8%:R) : R) = 1.
Proof.
move=> k0 k8; rewrite (eq_bigr (fun y => (k y)%:R / 8%:R)) => [|y _]; last first.
  by rewrite lnK // pos8.
by rewrite -mulr_suml -natr_sum k8 mulfV // pnatr_eq0.
Qed.

Let ln8_neq (a b : nat) : (0 < a)%N -> (0 < b)%N -> a != b ->
  ln (a%:R / 8%:R : R) != ln (b%:R / 8%:R).
Proof.
move=> a0 b0; apply: contra => /eqP /(ln_inj (pos8 a0) (pos8 b0)) /(mulIf _) h.
by rewrite -(eqr_nat R) h // invr_eq0 pnatr_eq0.
Qed.

(* Section 4, d_LLV is a distance: the identity of indiscernibles fails when
   two labels are left out.  Every other hypothesis of [d_llv_zero_iff]
   holds (any lam), d_LLV = 0, yet the models differ. *)
Theorem d_llv_zero_two_left_out_counterexample (lam : R) :
  [/\ (forall i, 0 < cex_w i) /\ \sum_i cex_w i = 1,
      (forall x, \sum_y expR (cex_l x y) = 1) /\ (forall x, \sum_y expR (cex_l' x y) = 1),
      (forall y, y \in cex_SY ->
         0 < sigma cex_w cex_y0 cex_l y /\ 0 < sigma cex_w cex_y0 cex_l' y) /\
      (forall x, x \in cex_SX -> 0 < s_x cex_x0 cex_l x /\ 0 < s_x cex_x0 cex_l' x),
      [/\ cex_SY != set0, cex_SX != set0, lab 2 \notin cex_y0 |: cex_SY
        & lab 3 \notin cex_y0 |: cex_SY] &
      d_llv cex_w cex_y0 cex_SY cex_x0 cex_SX lam cex_l cex_l' = 0 /\
      cex_l (inp 2) (lab 2) != cex_l' (inp 2) (lab 2)].
Proof.
have w_pos : forall i, 0 < cex_w i by apply: uniform_pos.
have w_sum1 : \sum_i cex_w i = 1 by apply: uniform_sum1.
have wK_pos : forall i, 0 < uniform R 4 i by apply: uniform_pos.
have wK_sum1 : \sum_i uniform R 4 i = 1 by apply: uniform_sum1.
split => //.
- split=> x; apply: norm8; case: x => [[|[|[|//]]] ?] /=;
    rewrite ?(big_ord_recl, big_ord0) //= => - [[|[|[|[|//]]]] ?] //.
- split=> [y /set1P -> | x /set1P ->]; split.
  + apply: (sd_gt0 w_pos w_sum1 (i := inp 0) (j := inp 1)).
    by rewrite /= subrr eq_sym subr_eq0 ln8_neq.
  + apply: (sd_gt0 w_pos w_sum1 (i := inp 0) (j := inp 1)).
    by rewrite /= subrr eq_sym subr_eq0 ln8_neq.
  + apply: (sd_gt0 wK_pos wK_sum1 (i := lab 0) (j := lab 1)).
    by rewrite /= subrr subr_eq0 ln8_neq.
  + apply: (sd_gt0 wK_pos wK_sum1 (i := lab 0) (j := lab 1)).
    by rewrite /= subrr subr_eq0 ln8_neq.
- by split; rewrite ?inE //; apply/set0Pn; eexists; apply: set11.
split; last by rewrite /cex_l /cex_l' ln8_neq.
apply: (d_llv_cross0 w_pos w_sum1) => x y.
  rewrite !inE => /orP[] /eqP ->; rewrite /cex_l /cex_l' /cex_k';
  by case: eqP => // ->.
rewrite !inE => /orP[] /eqP ->; by rewrite /cex_l /cex_l' /cex_k'.
Qed.

End TwoLeftOut.
