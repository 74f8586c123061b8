(* KLBound.v -- the KL divergence between two softmax models is small when
   both have a large margin (Theorem 3.1 of "When Does Closeness in
   Distribution Imply Representational Similarity? An Identifiability
   Perspective", NeurIPS 2025; claim thm3.1-kl-bound).

   Softmax over K labels with logits z : 'I_K -> R:
     lp z l = z l - ln (sum_j exp (z j))     log-probability   (lpE)
     sm z l = exp (lp z l)                   probability       (smE, sm_sum1)
     kl z z' = sum_l sm z l (lp z l - lp z' l)   KL(p_z || p_z')

   Main results (k is the true label, u l = z l - z k, u' l = z' l - z' k):
     kl_pivot           kl z z' = sum_{l<>k} p_l (u l - u' l)
                                  + lp z k - lp z' k
     kl_margin          per-label margins: if 0 <= m l, u l <= - m l,
                        u' l <= - m' l and - u' l <= 2B for l <> k, then
                        kl z z' <= sum_{l<>k} e^{-m' l} + 2B sum_{l<>k} e^{-m l}
     kl_uniform_margin  one margin mu for both models:
                        kl z z' <= (K-1) e^{-mu} (1 + 2B)
     d_kl_bound         d_KL = sum_x w x kl (Z x) (Z' x) <= (K-1) e^{-mu} (1 + 2B)
                        for weights w >= 0 summing to 1
     d_kl_bound_both    the same bound for d_KL in both directions
     kl_construction    Theorem 3.1 in the form of the paper's construction:
                        for the models (rho f, g), (rho f', g') of
                        Identifiability.v whose logit margins are >= Delta and
                        whose logits are bounded by rmax in absolute value,
                        both d_KL <= (K-1) e^{-rho Delta} (1 + 2 rho rmax).
                        The paper scales the unembeddings, (f, rho g); the
                        logits, hence the distributions and d_KL, are the same
                        as those of (rho f, g) (logit_scale).

   The sharper bound (Theorem 3.1 as stated in the paper; claim
   thm3.1-kl-bound-sharp).  Classes c : 'I_n -> 'I_K with m >= 1 inputs in
   every class (so n = K m, sum_class), uniform weights 1/n, per-pair margins
   delta k l >= 0, a permutation sigma of the classes, and
     T k = Tm rho delta k = sum_{l<>k} e^{-rho delta k l}:
     Tm_perm            sum_{l<>k} e^{-rho delta (sigma k) (sigma l)}
                          = T (sigma k)
     d_kl_sharp         if Z x l - Z x k <= - rho delta k l,
                        Z' x l - Z' x k <= - rho delta (sigma k) (sigma l) and
                        Z' x k - Z' x l <= 2B (k = c x, l <> k), then
                        d_KL(Z || Z') <= 1/K sum_k (T (sigma k) + 2B T k)
     d_kl_sharp_both    with also Z x k - Z x l <= 2B, in addition
                        d_KL(Z' || Z) <= 1/K sum_k (T k + 2B T (sigma k))
                        (model 2 to model 1 uses sigma^-1)
     sharp_swap         the two directions' bounds are equal
                        (sum_k T (sigma k) = sum_k T k)
     sharp_le_plain     if delta k l >= Delta (l <> k), the sharper bound is
                        <= (K-1) e^{-rho Delta} (1 + 2B),
                        as each T k <= (K-1) e^{-rho Delta}
     kl_construction_sharp  the sharper bound, both directions, for the models
                        (rho f, g), (rho f', g') of Identifiability.v with
                        logit margins >= delta (c x) l, resp.
                        >= delta (sigma (c x)) (sigma l), and logits bounded by
                        rmax in absolute value (B = rho rmax).

   Near-maximal likelihood (Corollary 3.2; claim cor3.2-nll), with the
   expected negative log-likelihood of the true classes c, - log p(c x | x):
     nll_margin         if z l - z k <= - mu for l <> k (mu any real), then
                        - lp z k = ln (1 + sum_{l<>k} e^{z l - z k})
                                <= (K-1) e^{-mu}
     nll_bound          sum_x w x (- lp (Z x) (c x)) <= (K-1) e^{-mu}
                        for weights w >= 0 summing to 1
     log_probs_lp       log_probs of Identifiability.v is lp of the logits
     nll_construction   for the model (rho f, g) of Identifiability.v with
                        logit margins >= Delta and rho >= 0:
                        sum_x w x (- log_probs (rho f) g x (c x))
                          <= (K-1) e^{-rho Delta}
     nll_limit          for Delta > 0, (K-1) e^{-rho Delta} -> 0 as
                        rho -> +oo (mathcomp-analysis's cvg_to on +oo_R),
                        by e^{rho Delta} >= 1 + rho Delta

   The proofs use ln(1 + x) <= x and the monotonicity of exp and ln; they rest
   on mathcomp-analysis's classical axioms, no project axiom. *)

Set Warnings "-notation-overridden,-ambiguous-paths".
From mathcomp Require Import all_ssreflect all_algebra fingroup perm.
From mathcomp.classical Require Import boolp classical_sets.
From mathcomp.analysis Require Import reals sequences exp topology normedtype.
From Closeness Require Import Identifiability.

Set Implicit Arguments.
Unset Strict Implicit.
Unset Printing Implicit Defensive.

Import Order.TTheory GRing.Theory Num.Theory numFieldNormedType.Exports.
Local Open Scope ring_scope.

(* ------------------------------------------------------------------------- *)
(* Softmax of a logit vector and the KL divergence between two of them.       *)
(* ------------------------------------------------------------------------- *)

Section Softmax.
Variables (R : realType) (K : nat).
Implicit Types (z : 'I_K -> R) (k l : 'I_K).

Definition lp z l : R := z l - ln (\sum_j expR (z j)).
Definition sm z l : R := expR (lp z l).
Definition kl z z' : R := \sum_l sm z l * (lp z l - lp z' l).

(* lp is the logarithm of the softmax probability ... *)
Lemma lpE z l : lp z l = ln (expR (z l) / \sum_j expR (z j)).
Proof.
rewrite ln_div ?expK // qualifE ?expR_gt0 //.
exact: sum_expR_gt0.
Qed.

(* ... and sm is the softmax probability *)
Lemma smE z l : sm z l = expR (z l) / \sum_j expR (z j).
Proof. by rewrite /sm /lp expRB lnK // qualifE (sum_expR_gt0 _ l). Qed.

Lemma sm_ge0 z l : 0 <= sm z l.
Proof. exact: ltW (expR_gt0 _). Qed.

Lemma sm_sum1 z k : \sum_l sm z l = 1.
Proof.
under eq_bigr do rewrite smE.
by rewrite -mulr_suml mulfV // gt_eqF // (sum_expR_gt0 _ k).
Qed.

(* log-probabilities differ by the logits: lp z l = (z l - z k) + lp z k *)
Lemma lp_pivot z k l : lp z l = (z l - z k) + lp z k.
Proof. by rewrite /lp addrA subrK. Qed.

(* a log-probability is <= 0 *)
Lemma lp_le0 z k : lp z k <= 0.
Proof.
rewrite /lp subr_le0 -ler_expR lnK ?qualifE ?(sum_expR_gt0 _ k) //.
rewrite (bigD1 k) //= ler_addl sumr_ge0 // => l _.
exact: ltW (expR_gt0 _).
Qed.

(* - lp z k = ln (1 + sum_{l<>k} exp (z l - z k)) *)
Lemma NlpE z k : - lp z k = ln (1 + \sum_(l | l != k) expR (z l - z k)).
Proof.
have -> : 1 + \sum_(l | l != k) expR (z l - z k) =
          (\sum_j expR (z j)) / expR (z k).
  rewrite mulr_suml [in RHS](bigD1 k) //= divff ?gt_eqF ?expR_gt0 //.
  by congr (_ + _); apply: eq_bigr => l _; rewrite expRB.
rewrite ln_div ?expK ?opprB // qualifE ?expR_gt0 //.
exact: sum_expR_gt0.
Qed.

(* The KL divergence in terms of the margins against the label k *)
Lemma kl_pivot z z' k :
  kl z z' = \sum_(l | l != k) sm z l * ((z l - z k) - (z' l - z' k))
            + (lp z k - lp z' k).
Proof.
have e l : lp z l - lp z' l =
           ((z l - z k) - (z' l - z' k)) + (lp z k - lp z' k).
  by rewrite (lp_pivot z k) (lp_pivot z' k) opprD addrACA.
rewrite /kl; under eq_bigr do rewrite e mulrDr.
rewrite big_split /= -mulr_suml (sm_sum1 z k) mul1r [in LHS](bigD1 k) //=.
by rewrite !subrr mulr0 add0r.
Qed.

(* Theorem 3.1, per-label form.  With margins m (for z) and m' (for z')
   against the label k, and the logit gaps of z' bounded by 2B:
     KL(p_z || p_z') <= sum_{l<>k} e^{-m' l} + 2B sum_{l<>k} e^{-m l}. *)
Theorem kl_margin k (m m' : 'I_K -> R) (B : R) z z' :
  0 <= B ->
  (forall l, l != k -> 0 <= m l) ->
  (forall l, l != k -> z l - z k <= - m l) ->
  (forall l, l != k -> z' l - z' k <= - m' l) ->
  (forall l, l != k -> z' k - z' l <= 2 * B) ->
  kl z z' <= \sum_(l | l != k) expR (- m' l)
             + 2 * B * \sum_(l | l != k) expR (- m l).
Proof.
move=> B0 m0 hz hz' hB; rewrite (kl_pivot z z' k) addrC.
apply: ler_add.
  (* - ln(1 + S) <= 0 and ln (1 + S') <= S' <= sum e^{-m'} *)
  apply: le_trans (_ : - lp z' k <= _); first by rewrite ger_addr lp_le0.
  rewrite NlpE; apply: le_trans (le_ln1Dx _) _.
    by rewrite sumr_ge0 // => l _; exact: ltW (expR_gt0 _).
  by apply: ler_sum => l lk; rewrite ler_expR hz'.
(* p_l (u l - u' l) <= p_l 2B <= e^{-m l} 2B *)
rewrite mulr_sumr; apply: ler_sum => l lk.
have hu : z l - z k <= 0 by apply: le_trans (hz l lk) _; rewrite oppr_le0 m0.
have hp : sm z l <= expR (- m l).
  rewrite /sm (lp_pivot z k) ler_expR; apply: le_trans (hz l lk).
  by rewrite ger_addl lp_le0.
rewrite [2 * B * _]mulrC; apply: le_trans (_ : sm z l * (2 * B) <= _).
  by apply: ler_wpmul2l; rewrite ?sm_ge0 // opprB ler_naddl // hB.
have B2 : 0 <= 2 * B by rewrite mulr_ge0 ?ler0n.
exact: ler_pmul (sm_ge0 _ _) B2 hp (lexx _).
Qed.

(* Theorem 3.1, one margin mu for both models:
     KL(p_z || p_z') <= (K-1) e^{-mu} (1 + 2B). *)
Theorem kl_uniform_margin k (mu B : R) z z' :
  0 <= mu -> 0 <= B ->
  (forall l, l != k -> z l - z k <= - mu) ->
  (forall l, l != k -> z' l - z' k <= - mu) ->
  (forall l, l != k -> z' k - z' l <= 2 * B) ->
  kl z z' <= K.-1%:R * expR (- mu) * (1 + 2 * B).
Proof.
move=> mu0 B0 hz hz' hB.
have mu0' : forall l, l != k -> 0 <= mu by [].
apply: le_trans (kl_margin (m := fun=> mu) (m' := fun=> mu) B0 mu0' hz hz' hB) _.
rewrite sumr_const cardC1 card_ord mulr_natl.
by rewrite mulrDr mulr1 [2 * B * _]mulrC.
Qed.

(* Corollary 3.2 (claim cor3.2-nll), one input: with margin mu against the
   true label k (mu any real), the negative log-likelihood of k is small:
     - lp z k = ln (1 + sum_{l<>k} e^{z l - z k}) <= (K-1) e^{-mu}. *)
Theorem nll_margin k (mu : R) z :
  (forall l, l != k -> z l - z k <= - mu) ->
  - lp z k <= K.-1%:R * expR (- mu).
Proof.
move=> hz; rewrite NlpE; apply: le_trans (le_ln1Dx _) _.
  by rewrite sumr_ge0 // => l _; exact: ltW (expR_gt0 _).
apply: (@le_trans _ _ (\sum_(l | l != k) expR (- mu))).
  by apply: ler_sum => l lk; rewrite ler_expR hz.
by rewrite sumr_const cardC1 card_ord mulr_natl.
Qed.

(* ------------------------------------------------------------------------- *)
(* The weighted KL divergence over n inputs.                                  *)
(* ------------------------------------------------------------------------- *)

Variable n : nat.
Implicit Types (w : 'I_n -> R) (Z : 'I_n -> 'I_K -> R) (c : 'I_n -> 'I_K).

(* d_KL(p_Z || p_Z') = sum_x w x KL(p_{Z x} || p_{Z' x}) *)
Definition d_kl w Z Z' : R := \sum_x w x * kl (Z x) (Z' x).

(* a bound on every input is a bound on the weighted average *)
Lemma d_kl_le w Z Z' (C : R) :
  (forall x, 0 <= w x) -> \sum_x w x = 1 ->
  (forall x, kl (Z x) (Z' x) <= C) -> d_kl w Z Z' <= C.
Proof.
move=> w0 w1 hC; rewrite /d_kl.
apply: le_trans (_ : \sum_x w x * C <= _).
  by apply: ler_sum => x _; exact: ler_wpmul2l.
by rewrite -mulr_suml w1 mul1r.
Qed.

(* Theorem 3.1 for the weighted KL divergence: true classes c, one margin mu *)
Theorem d_kl_bound w Z Z' c (mu B : R) :
  (forall x, 0 <= w x) -> \sum_x w x = 1 -> 0 <= mu -> 0 <= B ->
  (forall x l, l != c x -> Z x l - Z x (c x) <= - mu) ->
  (forall x l, l != c x -> Z' x l - Z' x (c x) <= - mu) ->
  (forall x l, l != c x -> Z' x (c x) - Z' x l <= 2 * B) ->
  d_kl w Z Z' <= K.-1%:R * expR (- mu) * (1 + 2 * B).
Proof.
move=> w0 w1 mu0 B0 hZ hZ' hB; apply: d_kl_le => // x.
exact: (kl_uniform_margin (k := c x)) (hZ x) (hZ' x) (hB x).
Qed.

(* ... and in both directions when both logit gaps are bounded by 2B *)
Theorem d_kl_bound_both w Z Z' c (mu B : R) :
  (forall x, 0 <= w x) -> \sum_x w x = 1 -> 0 <= mu -> 0 <= B ->
  (forall x l, l != c x -> Z x l - Z x (c x) <= - mu) ->
  (forall x l, l != c x -> Z' x l - Z' x (c x) <= - mu) ->
  (forall x l, l != c x -> Z x (c x) - Z x l <= 2 * B) ->
  (forall x l, l != c x -> Z' x (c x) - Z' x l <= 2 * B) ->
  d_kl w Z Z' <= K.-1%:R * expR (- mu) * (1 + 2 * B) /\
  d_kl w Z' Z <= K.-1%:R * expR (- mu) * (1 + 2 * B).
Proof.
move=> w0 w1 mu0 B0 hZ hZ' hBZ hBZ'.
by split; [exact: d_kl_bound hZ hZ' hBZ' | exact: d_kl_bound hZ' hZ hBZ].
Qed.

(* Corollary 3.2 for the expected negative log-likelihood of the true
   classes c: sum_x w x (- lp (Z x) (c x)) <= (K-1) e^{-mu} *)
Theorem nll_bound w Z c (mu : R) :
  (forall x, 0 <= w x) -> \sum_x w x = 1 ->
  (forall x l, l != c x -> Z x l - Z x (c x) <= - mu) ->
  \sum_x w x * (- lp (Z x) (c x)) <= K.-1%:R * expR (- mu).
Proof.
move=> w0 w1 hZ.
apply: (@le_trans _ _ (\sum_x w x * (K.-1%:R * expR (- mu)))).
  by apply: ler_sum => x _; apply: ler_wpmul2l => //; exact: nll_margin (hZ x).
by rewrite -mulr_suml w1 mul1r.
Qed.

(* ------------------------------------------------------------------------- *)
(* The sharper bound with per-pair margins and a permutation of the classes.  *)
(* ------------------------------------------------------------------------- *)

(* T k = sum_{l<>k} e^{-rho delta k l} *)
Definition Tm (rho : R) (delta : 'I_K -> 'I_K -> R) k : R :=
  \sum_(l | l != k) expR (- (rho * delta k l)).

(* reindexing l -> sigma l: T computed with delta (sigma k) (sigma l) *)
Lemma Tm_perm (sigma : {perm 'I_K}) rho delta k :
  \sum_(l | l != k) expR (- (rho * delta (sigma k) (sigma l))) =
  Tm rho delta (sigma k).
Proof.
rewrite /Tm [RHS](reindex_inj (@perm_inj _ sigma)) /=.
by apply: eq_bigl => l; rewrite (inj_eq (@perm_inj _ sigma)).
Qed.

(* summing a function of the class over classes of size m *)
Lemma sum_class c (m : nat) (F : 'I_K -> R) :
  (forall k, #|[pred x | c x == k]| = m) ->
  \sum_x F (c x) = m%:R * \sum_k F k.
Proof.
move=> cm; rewrite (partition_big c xpredT) //= mulr_sumr.
apply: eq_bigr => k _; rewrite (eq_bigr (fun=> F k)) => [|x /eqP -> //].
by rewrite sumr_const -(cm k) mulr_natl; congr (_ *+ #|_|); apply/predext.
Qed.

(* Theorem 3.1, sharper form (claim thm3.1-kl-bound-sharp): each class k has
   m inputs (so n = K m), weights 1/n, per-pair margins delta k l for model 1
   and delta (sigma k) (sigma l) for model 2 (sigma a permutation of the
   classes), logit gaps of model 2 bounded by 2B:
     d_KL <= 1/K sum_k (T (sigma k) + 2B T k). *)
Theorem d_kl_sharp Z Z' c (m : nat) (sigma : {perm 'I_K})
    (delta : 'I_K -> 'I_K -> R) (rho B : R) :
  (0 < m)%N -> (forall k, #|[pred x | c x == k]| = m) ->
  0 <= rho -> 0 <= B -> (forall k l, l != k -> 0 <= delta k l) ->
  (forall x l, l != c x -> Z x l - Z x (c x) <= - (rho * delta (c x) l)) ->
  (forall x l, l != c x ->
     Z' x l - Z' x (c x) <= - (rho * delta (sigma (c x)) (sigma l))) ->
  (forall x l, l != c x -> Z' x (c x) - Z' x l <= 2 * B) ->
  d_kl (fun=> n%:R^-1) Z Z' <=
  K%:R^-1 * \sum_k (Tm rho delta (sigma k) + 2 * B * Tm rho delta k).
Proof.
move=> m0 cm rho0 B0 d0 hZ hZ' hB.
pose f k := Tm rho delta (sigma k) + 2 * B * Tm rho delta k.
(* per input: kl_margin, then reindex by sigma *)
have hx x : kl (Z x) (Z' x) <= f (c x).
  rewrite /f -Tm_perm.
  apply: (kl_margin (m := fun l => rho * delta (c x) l) B0)
    (hZ x) (hZ' x) (hB x).
  by move=> l lc; rewrite mulr_ge0 ?d0.
(* n = K m, counting the inputs class by class *)
have nKm : n%:R = K%:R * m%:R :> R.
  have := sum_class (fun=> 1) cm; rewrite /= !sumr_const !card_ord => ->.
  exact: mulrC.
rewrite /d_kl -mulr_sumr; apply: (@le_trans _ _ (n%:R^-1 * \sum_x f (c x))).
  by apply: ler_wpmul2l; [rewrite invr_ge0 ler0n | exact: ler_sum].
by rewrite (sum_class f cm) nKm invfM -mulrA mulKf // pnatr_eq0 -lt0n.
Qed.

(* ... in both directions: from model 2 to model 1 the permutation is
   sigma^-1, and the roles of T k and T (sigma k) are exchanged *)
Theorem d_kl_sharp_both Z Z' c (m : nat) (sigma : {perm 'I_K})
    (delta : 'I_K -> 'I_K -> R) (rho B : R) :
  (0 < m)%N -> (forall k, #|[pred x | c x == k]| = m) ->
  0 <= rho -> 0 <= B -> (forall k l, l != k -> 0 <= delta k l) ->
  (forall x l, l != c x -> Z x l - Z x (c x) <= - (rho * delta (c x) l)) ->
  (forall x l, l != c x ->
     Z' x l - Z' x (c x) <= - (rho * delta (sigma (c x)) (sigma l))) ->
  (forall x l, l != c x -> Z x (c x) - Z x l <= 2 * B) ->
  (forall x l, l != c x -> Z' x (c x) - Z' x l <= 2 * B) ->
  (d_kl (fun=> n%:R^-1) Z Z' <=
     K%:R^-1 * \sum_k (Tm rho delta (sigma k) + 2 * B * Tm rho delta k)) /\
  (d_kl (fun=> n%:R^-1) Z' Z <=
     K%:R^-1 * \sum_k (Tm rho delta k + 2 * B * Tm rho delta (sigma k))).
Proof.
move=> m0 cm rho0 B0 d0 hZ hZ' hBZ hBZ'.
split; first exact: d_kl_sharp m0 cm rho0 B0 d0 hZ hZ' hBZ'.
(* model 2 has the margins delta' k l = delta (sigma k) (sigma l) *)
pose delta' k l := delta (sigma k) (sigma l).
have hT k : Tm rho delta' k = Tm rho delta (sigma k) by exact: Tm_perm.
have d0' k l : l != k -> 0 <= delta' k l.
  by move=> lk; rewrite d0 // (inj_eq (@perm_inj _ sigma)).
have hZ1 x l : l != c x ->
  Z x l - Z x (c x) <= - (rho * delta' ((sigma^-1)%g (c x)) ((sigma^-1)%g l)).
  by rewrite /delta' !permKV; exact: hZ.
have := d_kl_sharp m0 cm rho0 B0 d0' hZ' hZ1 hBZ.
by under eq_bigr do rewrite !hT permKV.
Qed.

(* The two directions' sharper bounds are equal: sum_k T (sigma k) = sum_k T k *)
Lemma sharp_swap (sigma : {perm 'I_K}) (delta : 'I_K -> 'I_K -> R) (rho B : R) :
  \sum_k (Tm rho delta (sigma k) + 2 * B * Tm rho delta k) =
  \sum_k (Tm rho delta k + 2 * B * Tm rho delta (sigma k)).
Proof.
have e : \sum_k Tm rho delta (sigma k) = \sum_k Tm rho delta k.
  by rewrite [RHS](reindex_inj (@perm_inj _ sigma)).
by rewrite !big_split /= -!mulr_sumr e.
Qed.

(* The sharper bound is at most the bound with one margin Delta <= delta *)
Lemma sharp_le_plain (sigma : {perm 'I_K}) (delta : 'I_K -> 'I_K -> R)
    (rho B Delta : R) :
  0 <= rho -> 0 <= B -> (forall k l, l != k -> Delta <= delta k l) ->
  (K%:R^-1 * \sum_k (Tm rho delta (sigma k) + 2 * B * Tm rho delta k))%R <=
  K.-1%:R * expR (- (rho * Delta)) * (1 + 2 * B).
Proof.
move=> rho0 B0 hD.
set C := K.-1%:R * expR (- (rho * Delta)).
(* each T k <= (K-1) e^{-rho Delta} *)
have hT k : Tm rho delta k <= C.
  have -> : C = \sum_(l | l != k) expR (- (rho * Delta)).
    by rewrite /C sumr_const cardC1 card_ord mulr_natl.
  apply: ler_sum => l lk; rewrite ler_expR ler_oppr opprK.
  by apply: ler_wpmul2l => //; exact: hD.
have B2 : 0 <= 2 * B by rewrite mulr_ge0 ?ler0n.
have C0 : 0 <= C * (1 + 2 * B).
  by rewrite /C !mulr_ge0 ?addr_ge0 ?ler0n ?ler01 // ltW ?expR_gt0.
apply: (@le_trans _ _ (K%:R^-1 * \sum_(k : 'I_K) C * (1 + 2 * B))).
  apply: ler_wpmul2l; rewrite ?invr_ge0 ?ler0n //; apply: ler_sum => k _.
  rewrite mulrDr mulr1 [C * _]mulrC.
  exact: ler_add (hT _) (ler_wpmul2l B2 (hT k)).
rewrite sumr_const card_ord -[X in _ * X]mulr_natl.
have [->|K0] := eqVneq (K%:R : R) 0; first by rewrite invr0 !mul0r.
by rewrite mulKf.
Qed.

End Softmax.

(* ------------------------------------------------------------------------- *)
(* The models p_{f,g}(y|x) = softmax_y (f(x)^T g(y)) of Identifiability.v.    *)
(* ------------------------------------------------------------------------- *)

Section Construction.
Variables (R : realType) (n K M : nat).
Implicit Types (F : 'M[R]_(n, M)) (G : 'M[R]_(K, M)) (w : 'I_n -> R).

(* d_KL(p_{F,G} || p_{F',G'}) with Identifiability.v's prob and log_probs *)
Definition d_kl_model w F G F' G' : R :=
  \sum_x w x * \sum_y prob F G x y * (log_probs F G x y - log_probs F' G' x y).

Lemma d_kl_modelE w F G F' G' :
  d_kl_model w F G F' G' = d_kl w (logit F G) (logit F' G').
Proof.
apply: eq_bigr => x _; congr (_ * _); apply: eq_bigr => y _.
by rewrite !log_probsE /prob smE.
Qed.

(* scaling the embeddings by rho scales the logits by rho *)
Lemma logit_scale (rho : R) F G x y :
  logit (rho *: F) G x y = rho * logit F G x y.
Proof.
rewrite !logit_sum mulr_sumr; apply: eq_bigr => j _.
by rewrite mxE mulrA.
Qed.

(* margins: rho a - rho b = - (rho (b - a)) <= - (rho D) *)
Lemma margin_scale (rho D a b : R) :
  0 <= rho -> D <= b - a -> rho * a - rho * b <= - (rho * D).
Proof.
move=> rho0 h; rewrite -mulrBr -mulrN; apply: ler_wpmul2l => //.
by rewrite ler_oppr opprB.
Qed.

(* gaps: rho a - rho b = rho (a - b) <= rho (|a| + |b|) <= 2 (rho rmax) *)
Lemma gap_scale (rho rmax a b : R) :
  0 <= rho -> `|a| <= rmax -> `|b| <= rmax ->
  rho * a - rho * b <= 2 * (rho * rmax).
Proof.
move=> rho0 ha hb; rewrite -mulrBr mulrCA; apply: ler_wpmul2l => //.
rewrite mulr_natl mulr2n.
exact: le_trans (ler_norm _) (le_trans (ler_norm_sub _ _) (ler_add ha hb)).
Qed.

(* Theorem 3.1 (claim thm3.1-kl-bound), the construction: the models
   (rho f, g) and (rho f', g') with true classes c, logit margins
   f(x)^T g(c x) - f(x)^T g(l) >= Delta (l <> c x) and logits bounded by rmax
   in absolute value, are within (K-1) e^{-rho Delta} (1 + 2 rho rmax) of
   each other in d_KL, in both directions. *)
Theorem kl_construction w F G F' G' (c : 'I_n -> 'I_K) (rho Delta rmax : R) :
  0 <= rho -> 0 <= Delta -> 0 <= rmax ->
  (forall x, 0 <= w x) -> \sum_x w x = 1 ->
  (forall x l, l != c x -> Delta <= logit F G x (c x) - logit F G x l) ->
  (forall x l, l != c x -> Delta <= logit F' G' x (c x) - logit F' G' x l) ->
  (forall x l, `|logit F G x l| <= rmax) ->
  (forall x l, `|logit F' G' x l| <= rmax) ->
  let bound := K.-1%:R * expR (- (rho * Delta)) * (1 + 2 * (rho * rmax)) in
  d_kl_model w (rho *: F) G (rho *: F') G' <= bound /\
  d_kl_model w (rho *: F') G' (rho *: F) G <= bound.
Proof.
move=> rho0 D0 r0 w0 w1 hD hD' hr hr' bound; rewrite !d_kl_modelE.
apply: (d_kl_bound_both (c := c)) => //; rewrite ?mulr_ge0 // => x l lc;
  rewrite !logit_scale; by [apply: margin_scale; auto | apply: gap_scale].
Qed.

(* Theorem 3.1, sharper form (claim thm3.1-kl-bound-sharp), the construction:
   m inputs per class, weights 1/n, logit margins >= delta (c x) l for
   (f, g) and >= delta (sigma (c x)) (sigma l) for (f', g'), logits bounded
   by rmax in absolute value: d_KL <= 1/K sum_k (T (sigma k) + 2 rho rmax T k),
   and the reverse d_KL with T k and T (sigma k) exchanged. *)
Theorem kl_construction_sharp F G F' G' (c : 'I_n -> 'I_K) (m : nat)
    (sigma : {perm 'I_K}) (delta : 'I_K -> 'I_K -> R) (rho rmax : R) :
  (0 < m)%N -> (forall k, #|[pred x | c x == k]| = m) ->
  0 <= rho -> 0 <= rmax -> (forall k l, l != k -> 0 <= delta k l) ->
  (forall x l, l != c x ->
     delta (c x) l <= logit F G x (c x) - logit F G x l) ->
  (forall x l, l != c x ->
     delta (sigma (c x)) (sigma l) <= logit F' G' x (c x) - logit F' G' x l) ->
  (forall x l, `|logit F G x l| <= rmax) ->
  (forall x l, `|logit F' G' x l| <= rmax) ->
  let T := Tm rho delta in
  (d_kl_model (fun=> n%:R^-1) (rho *: F) G (rho *: F') G' <=
     K%:R^-1 * \sum_k (T (sigma k) + 2 * (rho * rmax) * T k)) /\
  (d_kl_model (fun=> n%:R^-1) (rho *: F') G' (rho *: F) G <=
     K%:R^-1 * \sum_k (T k + 2 * (rho * rmax) * T (sigma k))).
Proof.
move=> m0 cm rho0 r0 d0 hD hD' hr hr' T; rewrite !d_kl_modelE.
apply: (d_kl_sharp_both m0 cm); rewrite ?mulr_ge0 // => x l lc;
  rewrite !logit_scale; by [apply: margin_scale; auto | apply: gap_scale].
Qed.

(* log_probs is the log-softmax lp of the logits *)
Lemma log_probs_lp F G x y : log_probs F G x y = lp (logit F G x) y.
Proof. by rewrite log_probsE. Qed.

(* Corollary 3.2 (claim cor3.2-nll), the construction: the model
   (rho f, g) with true classes c and logit margins
   f(x)^T g(c x) - f(x)^T g(l) >= Delta (l <> c x) reaches near-maximal
   likelihood: the expected negative log-likelihood - log p(c x | x) is
   at most (K-1) e^{-rho Delta}. *)
Theorem nll_construction w F G (c : 'I_n -> 'I_K) (rho Delta : R) :
  0 <= rho ->
  (forall x, 0 <= w x) -> \sum_x w x = 1 ->
  (forall x l, l != c x -> Delta <= logit F G x (c x) - logit F G x l) ->
  \sum_x w x * (- log_probs (rho *: F) G x (c x)) <=
  K.-1%:R * expR (- (rho * Delta)).
Proof.
move=> rho0 w0 w1 hD.
under eq_bigr => x _ do rewrite log_probs_lp.
apply: (nll_bound (c := c)) => // x l lc.
by rewrite !logit_scale; apply: margin_scale => //; exact: hD.
Qed.

End Construction.

(* ------------------------------------------------------------------------- *)
(* The bound of Corollary 3.2 vanishes as the scale rho grows.                *)
(* ------------------------------------------------------------------------- *)

Section Limit.
Variables (R : realType) (K : nat).
Local Open Scope classical_set_scope.

(* Corollary 3.2 (claim cor3.2-nll): for a margin Delta > 0,
   (K-1) e^{-rho Delta} -> 0 as rho -> +oo, since
   (K-1) e^{-rho Delta} <= (K-1) / (1 + rho Delta) *)
Theorem nll_limit (Delta : R) :
  0 < Delta ->
  K.-1%:R * expR (- (rho * Delta)) @[rho --> +oo_R] --> (0 : R).
Proof.
move=> D0; apply/cvgr0Pnorm_lt => eps eps0.
set C : R := K.-1%:R.
have C0 : 0 <= C by rewrite ler0n.
have r0 : 0 <= C / (eps * Delta) by rewrite divr_ge0 // mulr_ge0 // ltW.
near=> rho.
have rho_gt : C / (eps * Delta) < rho.
  by near: rho; apply: nbhs_pinfty_gt; rewrite ger0_real.
have rho0 : 0 < rho by exact: le_lt_trans rho_gt.
(* C e^{-rho Delta} < eps  <=  C < eps (1 + rho Delta) <= eps e^{rho Delta} *)
rewrite ger0_norm ?mulr_ge0 // ?ltW ?expR_gt0 //.
rewrite expRN ltr_pdivr_mulr ?expR_gt0 //.
apply: (@lt_le_trans _ _ (eps * (1 + rho * Delta))); last first.
  apply: ler_wpmul2l; first exact: ltW.
  by apply: expR_ge1Dx; rewrite mulr_ge0 // ltW.
rewrite mulrDr mulr1 ltr_spaddl //.
by rewrite mulrCA -ler_pdivr_mulr ?mulr_gt0 // ltW.
Unshelve. all: by end_near.
Qed.

End Limit.
