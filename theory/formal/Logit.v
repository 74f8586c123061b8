(* Logit.v -- the follow-up paper's logit distance d_logit, for any number n
   of inputs (weights w), K of labels and dimensions M1, M2 of the two models.

   Moment form (any commutative ring, no axiom).  D = F1 G1^T - F2 G2^T is
   the n x K matrix of logit differences (with the centred unembeddings it is
   the difference of the centred logits), and

     d2_direct = sum_x w_x sum_y D(x, y)^2                 (theory/logit.py:
                                                            d_logit_sq)
     d2_moment = tr(G1^T G1 S11) + tr(G2^T G2 S22) - 2 tr(G1^T G2 S21)
                 with the uncentred second moments S_ij = F_i^T W F_j,
                 W = diag(w)                              (d_logit_sq_moments)

     sum_sq_trace  sum_x w_x sum_y D(x, y)^2 = tr(D^T W D)
     trace_cross   tr(G1^T G2 S21) = tr(G2^T G1 S12)
     moment_form   d2_direct = d2_moment, for any G1, G2 (so for the centred
                   ones) and any weights: claim followup-logit-moment-form.

   Clr form and metric (real numbers, positive weights summing to 1).  With
   clr(l)(y) = l(y) - (1/K) sum_y' l(y') and l, l' the n x K log-probabilities,

     d2_clr l l' = sum_x w_x sum_y (clr l(x) y - clr l'(x) y)^2   (d_logit_sq_clr)
     d_logit     = sqrt d2_clr

     clr_log_probs    the centred logits are the clr of the log-probabilities
     d2_direct_clr    d2_direct with the centred unembeddings = d2_clr of the
                      log-probabilities: d_logit depends only on p
     d_logit_ge0, d_logit_sym, d_logit_triangle (weighted Minkowski, through
                      SD_y(l - l') per input and [minkowski] below)
     d_logit_zero     d_logit = 0 iff p = p' on every input
   : claim followup-logit-metric.  These use exp/ln, so they rest on
   mathcomp-analysis's classical axioms; no project axiom. *)

Set Warnings "-notation-overridden,-ambiguous-paths".
From mathcomp Require Import all_ssreflect all_algebra.
From mathcomp.analysis Require Import reals sequences exp.
From Coq Require Import Ring.
From Closeness Require Import Moments Identifiability.

Set Implicit Arguments.
Unset Strict Implicit.
Unset Printing Implicit Defensive.

Import Order.TTheory GRing.Theory Num.Theory.
Local Open Scope ring_scope.

Section MomentForm.
Variables (R : comRingType) (n K M1 M2 : nat) (w : 'I_n -> R).

(* W = diag(w): the input weights *)
Definition wdiag : 'M[R]_n := diag_mx (\row_x w x).

(* S_ab = F_a^T W F_b = E_x f_a(x) f_b(x)^T, uncentred *)
Definition second_moment m1 m2 (Fa : 'M[R]_(n, m1)) (Fb : 'M[R]_(n, m2)) : 'M[R]_(m1, m2) :=
  Fa^T *m wdiag *m Fb.

Definition d2_direct (F1 : 'M[R]_(n, M1)) (G1 : 'M[R]_(K, M1))
                     (F2 : 'M[R]_(n, M2)) (G2 : 'M[R]_(K, M2)) : R :=
  \sum_x w x * \sum_y ((F1 *m G1^T - F2 *m G2^T) x y) ^+ 2.

Definition d2_moment (F1 : 'M[R]_(n, M1)) (G1 : 'M[R]_(K, M1))
                     (F2 : 'M[R]_(n, M2)) (G2 : 'M[R]_(K, M2)) : R :=
  \tr (G1^T *m G1 *m second_moment F1 F1) + \tr (G2^T *m G2 *m second_moment F2 F2)
  - 2%:R * \tr (G1^T *m G2 *m second_moment F2 F1).

Lemma wdiag_tr : wdiag^T = wdiag.
Proof. exact: tr_diag_mx. Qed.

Lemma second_moment_tr m1 m2 (Fa : 'M[R]_(n, m1)) (Fb : 'M[R]_(n, m2)) :
  (second_moment Fa Fb)^T = second_moment Fb Fa.
Proof. by rewrite /second_moment !trmx_mul wdiag_tr trmxK mulmxA. Qed.

(* the weighted sum of squares of the entries of D is tr(D^T W D) *)
Lemma sum_sq_trace (D : 'M[R]_(n, K)) :
  (\sum_x w x * \sum_y D x y ^+ 2) = \tr (D^T *m wdiag *m D).
Proof.
rewrite /wdiag mul_mx_diag /mxtrace.
under [RHS]eq_bigr do rewrite mxE.
rewrite exchange_big /=; apply: eq_bigr => x _.
rewrite mulr_sumr; apply: eq_bigr => y _.
by rewrite !mxE expr2 [D x y * w x]mulrC -mulrA.
Qed.

(* tr(G_a F_a^T W F_b G_b^T) = tr(G_b^T G_a S_ab): the trace is cyclic *)
Lemma trace_term ma mb (Ga : 'M[R]_(K, ma)) (Fa : 'M[R]_(n, ma)) (Gb : 'M[R]_(K, mb))
      (Fb : 'M[R]_(n, mb)) :
  \tr (Ga *m Fa^T *m wdiag *m (Fb *m Gb^T)) = \tr (Gb^T *m Ga *m second_moment Fa Fb).
Proof. by rewrite /second_moment !mulmxA mxtrace_mulC !mulmxA. Qed.

(* the two cross terms are equal: tr(G1^T G2 S21) = tr(G2^T G1 S12) *)
Lemma trace_cross (F1 : 'M[R]_(n, M1)) (G1 : 'M[R]_(K, M1)) (F2 : 'M[R]_(n, M2))
      (G2 : 'M[R]_(K, M2)) :
  \tr (G1^T *m G2 *m second_moment F2 F1) = \tr (G2^T *m G1 *m second_moment F1 F2).
Proof.
rewrite -mxtrace_tr trmx_mul second_moment_tr trmx_mul trmxK.
by rewrite mxtrace_mulC.
Qed.

Theorem moment_form F1 G1 F2 G2 : d2_direct F1 G1 F2 G2 = d2_moment F1 G1 F2 G2.
Proof.
rewrite /d2_direct sum_sq_trace /d2_moment.
have -> : (F1 *m G1^T - F2 *m G2^T)^T = G1 *m F1^T - G2 *m F2^T.
  by rewrite linearB /= !trmx_mul !trmxK.
rewrite !mulmxBl !mulmxBr !linearB /= !trace_term trace_cross.
set t11 := \tr (G1^T *m G1 *m _); set t22 := \tr (G2^T *m G2 *m _).
set t12 := \tr (G2^T *m G1 *m _).
rewrite opprB mulr_natl mulr2n opprD !addrA; congr (_ - _).
by rewrite addrAC.
Qed.

End MomentForm.

(* ---------------------------------------------------------------------- *)
(* Polynomial identities, by Coq's [ring] over any commutative ring.      *)
(* ---------------------------------------------------------------------- *)

Section Identities.
Variable R : comRingType.

Lemma comring_theory :
  @ring_theory (GRing.Zmodule.sort (GRing.Ring.zmodType (GRing.ComRing.ringType R)))
    0 1 +%R *%R (fun x y => x - y) -%R eq.
Proof.
split=> //= [x|x y|x y z|x|x y|x y z|x y z|x]; rewrite ?add0r ?mul1r //.
- exact: addrC.
- exact: addrA.
- exact: mulrC.
- exact: mulrA.
- exact: mulrDl.
- exact: subrr.
Qed.
Add Ring comring : comring_theory.

(* Lagrange's identity in two dimensions *)
Lemma lagrange2 (a b c d : R) :
  (a * c + b * d) ^+ 2 + (a * d - b * c) ^+ 2 = (a ^+ 2 + b ^+ 2) * (c ^+ 2 + d ^+ 2).
Proof. rewrite !expr2; ring. Qed.

Lemma sqrD2 (p1 p2 q1 q2 : R) :
  (p1 + q1) ^+ 2 + (p2 + q2) ^+ 2
  = (p1 ^+ 2 + p2 ^+ 2) + (q1 ^+ 2 + q2 ^+ 2) + ((p1 * q1 + p2 * q2) + (p1 * q1 + p2 * q2)).
Proof. by rewrite !sqrrD -mulr2n mulrnDl addrACA [X in X + _]addrACA addrAC. Qed.

End Identities.

(* ---------------------------------------------------------------------- *)
(* Minkowski's inequality for uncentred weighted second moments.          *)
(* ---------------------------------------------------------------------- *)

Section Minkowski.
Variable R : rcfType.

(* the triangle inequality in the plane *)
Lemma minkowski2 (p1 p2 q1 q2 : R) :
  Num.sqrt ((p1 + q1) ^+ 2 + (p2 + q2) ^+ 2)
  <= Num.sqrt (p1 ^+ 2 + p2 ^+ 2) + Num.sqrt (q1 ^+ 2 + q2 ^+ 2).
Proof.
set P := p1 ^+ 2 + p2 ^+ 2; set Q := q1 ^+ 2 + q2 ^+ 2.
have P0 : 0 <= P by rewrite addr_ge0 ?sqr_ge0.
have Q0 : 0 <= Q by rewrite addr_ge0 ?sqr_ge0.
have S0 : 0 <= Num.sqrt P + Num.sqrt Q by rewrite addr_ge0 ?sqrtr_ge0.
rewrite -(ger0_norm S0) -sqrtr_sqr ler_wsqrtr // sqrD2 -/P -/Q sqrrD !sqr_sqrtr //.
set c := p1 * q1 + p2 * q2.
have c2 : c ^+ 2 <= P * Q by rewrite -lagrange2 ler_addl sqr_ge0.
have cPQ : c <= Num.sqrt P * Num.sqrt Q.
  rewrite -sqrtrM //; apply: le_trans (ler_norm c) _.
  by rewrite -sqrtr_sqr ler_wsqrtr.
rewrite mulr2n [X in _ <= X]addrAC ler_add2l.
by apply: ler_add.
Qed.

Variables (n : nat) (w : 'I_n -> R).
Hypothesis w_pos : forall i, 0 < w i.
Hypothesis w_sum1 : \sum_i w i = 1.

(* E[u^2] = Var u + (E u)^2 *)
Lemma mean_sqr (u : 'I_n -> R) : mean w (fun i => u i ^+ 2) = var w u + mean w u ^+ 2.
Proof.
have h c : \sum_i w i * ((u i - c) * u i) = \sum_i w i * u i ^+ 2 - c * \sum_i w i * u i.
  rewrite mulr_sumr -sumrB; apply: eq_bigr => i _.
  by rewrite mulrBl mulrBr expr2 [w i * (c * _)]mulrCA.
by rewrite /var (covE w_sum1) !meanE h expr2 subrK.
Qed.

(* Minkowski: sqrt E[(u + v)^2] <= sqrt E[u^2] + sqrt E[v^2] *)
Lemma minkowski (u v : 'I_n -> R) :
  Num.sqrt (mean w (fun i => (u i + v i) ^+ 2))
  <= Num.sqrt (mean w (fun i => u i ^+ 2)) + Num.sqrt (mean w (fun i => v i ^+ 2)).
Proof.
rewrite !mean_sqr -!(sd_sqr w_pos).
apply: le_trans (minkowski2 (sd w u) (mean w u) (sd w v) (mean w v)).
apply: ler_wsqrtr.
have -> : mean w (fun i => u i + v i) = mean w u + mean w v.
  by rewrite !meanE -big_split; apply: eq_bigr => i _; rewrite mulrDr.
rewrite ler_add2r ler_sqr ?nnegrE ?addr_ge0 ?sd_ge0 //.
exact: (sd_add_le w_pos w_sum1).
Qed.

End Minkowski.

(* ---------------------------------------------------------------------- *)
(* The clr form of d_logit, and d_logit as a metric on the conditionals.   *)
(* ---------------------------------------------------------------------- *)

Section Clr.
Variables (R : rcfType) (K : nat).
Hypothesis K_gt0 : (0 < K)%N.
Local Notation wK := (uniform R K).

(* the centred log-ratio of a row: l(y) - (1/K) sum_y' l(y') *)
Definition clr (l : 'I_K -> R) : 'I_K -> R := fun y => l y - mean wK l.

Lemma mean_sub (a b : 'I_K -> R) : mean wK (fun y => a y - b y) = mean wK a - mean wK b.
Proof. by rewrite !meanE -sumrB; apply: eq_bigr => i _; rewrite mulrBr. Qed.

(* sum_y (clr a - clr b)^2 = K Var_y(a - b) *)
Lemma clr_sq (a b : 'I_K -> R) :
  \sum_y (clr a y - clr b y) ^+ 2 = K%:R * var wK (fun y => a y - b y).
Proof.
rewrite /var covdef mean_sub mulr_sumr; apply: eq_bigr => y _.
rewrite /uniform mulrA mulfV ?mul1r ?pnatr_eq0 -?lt0n // -expr2 /clr.
by rewrite !opprD !opprK addrACA.
Qed.

End Clr.

Section Metric.
Variables (R : realType) (n K M : nat) (w : 'I_n -> R).
Hypothesis w_pos : forall x, 0 < w x.
Hypothesis w_sum1 : \sum_x w x = 1.
Hypothesis K_gt0 : (0 < K)%N.
Local Notation wK := (uniform R K).
Implicit Types (l : 'I_n -> 'I_K -> R) (F : 'M[R]_(n, M)) (G : 'M[R]_(K, M)).

(* d^2_logit of two models given by their n x K log-probabilities *)
Definition d2_clr l l' : R := \sum_x w x * \sum_y (clr (l x) y - clr (l' x) y) ^+ 2.
Definition d_logit l l' : R := Num.sqrt (d2_clr l l').

(* SD over the labels (uniform) of the log-probability difference at input x *)
Definition sd_row l l' x : R := sd wK (fun y => l x y - l' x y).

Lemma wK_pos y : 0 < wK y. Proof. exact: uniform_pos. Qed.
Lemma wK_sum1 : \sum_y wK y = 1. Proof. exact: uniform_sum1. Qed.

Lemma d2_clr_sd l l' : d2_clr l l' = K%:R * mean w (fun x => sd_row l l' x ^+ 2).
Proof.
rewrite meanE mulr_sumr; apply: eq_bigr => x _.
by rewrite clr_sq // (sd_sqr wK_pos) mulrCA.
Qed.

Lemma d_logit_sd l l' :
  d_logit l l' = Num.sqrt K%:R * Num.sqrt (mean w (fun x => sd_row l l' x ^+ 2)).
Proof. by rewrite /d_logit d2_clr_sd sqrtrM ?ler0n. Qed.

Theorem d_logit_ge0 l l' : 0 <= d_logit l l'.
Proof. exact: sqrtr_ge0. Qed.

Theorem d_logit_sym l l' : d_logit l l' = d_logit l' l.
Proof.
rewrite /d_logit /d2_clr; congr Num.sqrt; apply: eq_bigr => x _; congr (_ * _).
by apply: eq_bigr => y _; rewrite -opprB sqrrN.
Qed.

Theorem d_logit_triangle l l' l'' : d_logit l l'' <= d_logit l l' + d_logit l' l''.
Proof.
rewrite !d_logit_sd -mulrDr ler_wpmul2l ?sqrtr_ge0 //.
apply: le_trans (minkowski w_pos w_sum1 (sd_row l l') (sd_row l' l'')).
apply: ler_wsqrtr; rewrite !meanE; apply: ler_sum => x _.
apply: ler_wpmul2l; first exact/ltW/w_pos.
rewrite ler_sqr ?nnegrE ?addr_ge0 ?sd_ge0 // /sd_row.
rewrite (@eq_sd _ _ wK _ (fun y => (l x y - l' x y) + (l' x y - l'' x y))); last first.
  by move=> y; rewrite addrA subrK.
exact: (sd_add_le wK_pos wK_sum1).
Qed.

(* the probabilities of a row sum to one, and are the exponentials of the log-probabilities *)
Lemma sum_prob F G x : \sum_y prob F G x y = 1.
Proof.
rewrite /prob -mulr_suml mulfV // gt_eqF //.
exact: (sum_expR_gt0 _ (Ordinal K_gt0)).
Qed.

Lemma prob_expR F G x y : prob F G x y = expR (log_probs F G x y).
Proof. by rewrite /log_probs lnK // posrE prob_gt0. Qed.

(* d_logit vanishes exactly when the conditionals agree on every input *)
Theorem d_logit_zero F1 G1 F2 G2 :
  d_logit (log_probs F1 G1) (log_probs F2 G2) = 0 <->
  forall x y, prob F1 G1 x y = prob F2 G2 x y.
Proof.
split=> [d0 x y | pe]; last first.
  rewrite /d_logit /d2_clr big1 ?sqrtr0 // => x _.
  rewrite big1 ?mulr0 // => y _.
  have e : forall y', log_probs F1 G1 x y' = log_probs F2 G2 x y' by move=> y'; rewrite /log_probs pe.
  by rewrite /clr e (@eq_mean _ _ _ _ (log_probs F2 G2 x)) // subrr expr0n.
have d2 : d2_clr (log_probs F1 G1) (log_probs F2 G2) = 0.
  apply/eqP; rewrite eq_le -sqrtr_eq0 -/(d_logit _ _) d0 eqxx /=.
  rewrite /d2_clr sumr_ge0 // => x' _; rewrite mulr_ge0 ?(ltW (w_pos x')) //.
  by rewrite sumr_ge0 // => y' _; rewrite sqr_ge0.
move: d2; rewrite d2_clr_sd meanE => /eqP; rewrite mulf_eq0 pnatr_eq0 eqn0Ngt K_gt0 /= => /eqP.
move/psumr_eq0P => h.
have sx : sd_row (log_probs F1 G1) (log_probs F2 G2) x ^+ 2 = 0.
  have /eqP : w x * sd_row (log_probs F1 G1) (log_probs F2 G2) x ^+ 2 = 0.
    by apply: h => // x' _; rewrite mulr_ge0 ?(ltW (w_pos x')) ?sqr_ge0.
  by rewrite mulf_eq0 gt_eqF //= => /eqP.
move: sx; rewrite (sd_sqr wK_pos) => /(var0_const wK_pos) c.
set y0 := Ordinal K_gt0.
have ey : log_probs F1 G1 x y = log_probs F2 G2 x y + (log_probs F1 G1 x y0 - log_probs F2 G2 x y0).
  by rewrite -(c y y0) addrC subrK.
have sum1 := sum_prob F1 G1 x.
rewrite (eq_bigr (fun y' => prob F2 G2 x y' * expR (log_probs F1 G1 x y0 - log_probs F2 G2 x y0))) in sum1;
  last first.
  move=> y' _; rewrite !prob_expR -expRD.
  by rewrite -(c y' y0) addrC subrK.
rewrite -mulr_suml sum_prob mul1r in sum1.
by rewrite !prob_expR ey expRD sum1 mulr1.
Qed.

(* the centred unembeddings: g(y) minus their mean over the labels *)
Definition centred G : 'M[R]_(K, M) := \matrix_(y, j) (G y j - mean wK (fun y' => G y' j)).

(* the centred logits are the clr of the log-probabilities: they depend on the model only through p *)
Theorem clr_log_probs F G x y : clr (log_probs F G x) y = (F *m (centred G)^T) x y.
Proof.
have lse_out : mean wK (log_probs F G x) = mean wK (logit F G x) - lse F G x.
  rewrite !meanE; under eq_bigr do rewrite log_probsE mulrBr.
  by rewrite sumrB -mulr_suml wK_sum1 mul1r.
rewrite /clr lse_out log_probsE opprB addrA subrK !mxE meanE logit_sum.
under [X in _ - X]eq_bigr do rewrite logit_sum mulr_sumr.
rewrite exchange_big -sumrB; apply: eq_bigr => j _.
rewrite !mxE meanE mulrBr mulr_sumr; congr (_ - _); apply: eq_bigr => y' _.
by rewrite mulrCA.
Qed.

(* d^2_logit of the models (direct form, centred unembeddings) is d2_clr of their log-probabilities *)
Theorem d2_direct_clr F1 G1 F2 G2 :
  d2_direct w F1 (centred G1) F2 (centred G2) = d2_clr (log_probs F1 G1) (log_probs F2 G2).
Proof.
apply: eq_bigr => x _; congr (_ * _); apply: eq_bigr => y _.
by rewrite !clr_log_probs !mxE.
Qed.

End Metric.
