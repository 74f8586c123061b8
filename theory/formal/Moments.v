(* Moments.v -- weighted population moments over a finite index set.

   Vectors are plain functions ['I_n -> R] (values over the n inputs, or the
   K labels); pointwise operations are written as lambdas, e.g. the
   difference of u and v is [fun i => u i - v i], the scaled vector is
   [fun i => c * u i].  [w] are the weights of the index set (p_D over the
   inputs, or 1/K over the labels): positive and summing to one.

   Names follow theory/distances.py: [mean], [var], [cov], [sd],
   [standardise]; population moments (ddof = 0).

   - [mean], [cov], [var] are rational: they are defined over any
     [numFieldType] and can be evaluated on [rat] (see [cov_example]).
   - [sd] needs a square root: it is defined over any [rcfType] (real closed
     field), which every [realType] is; all lemmas below are over [rcfType]
     and so apply to any [R : realType]. *)

From mathcomp Require Import all_ssreflect all_algebra.

Set Implicit Arguments.
Unset Strict Implicit.
Unset Printing Implicit Defensive.

Import Order.TTheory GRing.Theory Num.Theory.
Local Open Scope ring_scope.

(* A finite sum over 'I_n that computes (mathcomp's \sum is sealed and does
   not reduce); [fsumE] below shows it is the usual \sum_i. *)
Section FiniteSum.
Variable R : zmodType.
Fixpoint fsum n : ('I_n -> R) -> R :=
  if n is m.+1 then fun F => F ord0 + fsum (fun i : 'I_m => F (lift ord0 i))
  else fun=> 0.
Arguments fsum {n}.

Lemma fsumE n (F : 'I_n -> R) : fsum F = \sum_i F i.
Proof. by elim: n F => [|n IH] F /=; rewrite ?big_ord0 // big_ord_recl IH. Qed.
End FiniteSum.
Arguments fsum {R n}.

Section Definitions.
Variables (R : numFieldType) (n : nat) (w : 'I_n -> R).

(* E[u] = sum_i w_i u_i *)
Definition mean (u : 'I_n -> R) : R := fsum (fun i => w i * u i).

(* Cov(u, v) = E[(u - E u)(v - E v)] *)
Definition cov (u v : 'I_n -> R) : R :=
  fsum (fun i => w i * ((u i - mean u) * (v i - mean v))).

(* Var(u) = Cov(u, u) *)
Definition var (u : 'I_n -> R) : R := cov u u.

Lemma meanE u : mean u = \sum_i w i * u i.
Proof. exact: fsumE. Qed.

Lemma covdef u v : cov u v = \sum_i w i * ((u i - mean u) * (v i - mean v)).
Proof. exact: fsumE. Qed.

End Definitions.

(* SD(u) = sqrt Var(u) *)
Definition sd (R : rcfType) (n : nat) (w : 'I_n -> R) (u : 'I_n -> R) : R :=
  Num.sqrt (var w u).

(* the standardised vector (u - E u) / SD(u) *)
Definition standardise (R : rcfType) (n : nat) (w : 'I_n -> R) (u : 'I_n -> R) :=
  fun i => (u i - mean w u) / sd w u.

Section Lemmas.
Variables (R : rcfType) (n : nat) (w : 'I_n -> R).
Hypothesis w_pos : forall i, 0 < w i.
Hypothesis w_sum1 : \sum_i w i = 1.

Local Notation mean := (mean w).
Local Notation cov := (cov w).
Local Notation var := (var w).
Local Notation sd := (sd w).

Implicit Types (u v : 'I_n -> R) (c : R).

(* ---------- the mean ---------- *)

Lemma eq_mean u v : u =1 v -> mean u = mean v.
Proof. by move=> e; rewrite !meanE; apply: eq_bigr => i _; rewrite e. Qed.

Lemma mean_const c : mean (fun=> c) = c.
Proof. by rewrite meanE -mulr_suml w_sum1 mul1r. Qed.

(* the centred vector has weighted sum zero *)
Lemma sum_ctr u : \sum_i w i * (u i - mean u) = 0.
Proof.
rewrite (eq_bigr (fun i => w i * u i - w i * mean u)) => [|i _]; last first.
  by rewrite mulrBr.
by rewrite sumrB -mulr_suml w_sum1 mul1r meanE subrr.
Qed.

(* ---------- covariance: symmetry and bilinearity ---------- *)

Lemma eq_cov u u' v v' : u =1 u' -> v =1 v' -> cov u v = cov u' v'.
Proof.
move=> eu ev; rewrite !covdef (eq_mean eu) (eq_mean ev).
by apply: eq_bigr => i _; rewrite eu ev.
Qed.

Lemma cov_sym u v : cov u v = cov v u.
Proof. by rewrite !covdef; apply: eq_bigr => i _; rewrite [(u i - _) * _]mulrC. Qed.

(* only one factor needs centring *)
Lemma covE u v : cov u v = \sum_i w i * ((u i - mean u) * v i).
Proof.
rewrite covdef.
rewrite (eq_bigr (fun i => w i * ((u i - mean u) * v i)
                          - w i * (u i - mean u) * mean v)) => [|i _]; last first.
  by rewrite mulrBr mulrBr [w i * (_ * mean v)]mulrA.
by rewrite sumrB -mulr_suml sum_ctr mul0r subr0.
Qed.

Lemma cov_addr u v1 v2 : cov u (fun i => v1 i + v2 i) = cov u v1 + cov u v2.
Proof. by rewrite !covE -big_split; apply: eq_bigr => i _; rewrite !mulrDr. Qed.

Lemma cov_scaler u c v : cov u (fun i => c * v i) = c * cov u v.
Proof.
rewrite !covE mulr_sumr; apply: eq_bigr => i _.
by rewrite [_ * (c * _)]mulrCA [w i * _]mulrCA.
Qed.

Lemma cov_constr u c : cov u (fun=> c) = 0.
Proof.
rewrite covE (eq_bigr (fun i => w i * (u i - mean u) * c)) => [|i _].
  by rewrite -mulr_suml sum_ctr mul0r.
by rewrite mulrA.
Qed.

Lemma cov_oppr u v : cov u (fun i => - v i) = - cov u v.
Proof.
by rewrite (@eq_cov u u _ (fun i => -1 * v i)) // ?cov_scaler ?mulN1r // => i; rewrite mulN1r.
Qed.

Lemma cov_subr u v1 v2 : cov u (fun i => v1 i - v2 i) = cov u v1 - cov u v2.
Proof. by rewrite cov_addr cov_oppr. Qed.

Lemma cov_addl u1 u2 v : cov (fun i => u1 i + u2 i) v = cov u1 v + cov u2 v.
Proof. by rewrite cov_sym cov_addr !(cov_sym v). Qed.

Lemma cov_scalel c u v : cov (fun i => c * u i) v = c * cov u v.
Proof. by rewrite cov_sym cov_scaler cov_sym. Qed.

Lemma cov_constl c v : cov (fun=> c) v = 0.
Proof. by rewrite cov_sym cov_constr. Qed.

Lemma cov_oppl u v : cov (fun i => - u i) v = - cov u v.
Proof. by rewrite cov_sym cov_oppr cov_sym. Qed.

Lemma cov_subl u1 u2 v : cov (fun i => u1 i - u2 i) v = cov u1 v - cov u2 v.
Proof. by rewrite cov_addl cov_oppl. Qed.

Lemma cov_shiftl u c v : cov (fun i => u i + c) v = cov u v.
Proof. by rewrite cov_addl cov_constl addr0. Qed.

Lemma cov_shiftr u v c : cov u (fun i => v i + c) = cov u v.
Proof. by rewrite cov_addr cov_constr addr0. Qed.

(* ---------- variance ---------- *)

Lemma eq_var u v : u =1 v -> var u = var v.
Proof. by move=> e; apply: eq_cov. Qed.

Lemma var_ge0 u : 0 <= var u.
Proof.
rewrite /Moments.var covdef; apply: sumr_ge0 => i _; apply: mulr_ge0; first exact: ltW.
by rewrite -expr2 sqr_ge0.
Qed.

(* Var(u + v) = Var u + Var v + 2 Cov(u, v) *)
Lemma var_add u v : var (fun i => u i + v i) = var u + var v + 2 * cov u v.
Proof.
rewrite /Moments.var cov_addl !cov_addr (cov_sym v u) mulr_natl mulr2n.
by rewrite (addrC (cov u v) (cov v v)) addrACA.
Qed.

Lemma var_opp u : var (fun i => - u i) = var u.
Proof. by rewrite /Moments.var cov_oppl cov_oppr opprK. Qed.

(* Var(u - v) = Var u + Var v - 2 Cov(u, v) *)
Lemma var_sub u v : var (fun i => u i - v i) = var u + var v - 2 * cov u v.
Proof. by rewrite var_add var_opp cov_oppr mulrN. Qed.

Lemma var_scale c u : var (fun i => c * u i) = c ^+ 2 * var u.
Proof. by rewrite /Moments.var cov_scalel cov_scaler mulrA -expr2. Qed.

(* adding a constant does not change the variance *)
Lemma var_shift u c : var (fun i => u i + c) = var u.
Proof. by rewrite /Moments.var cov_shiftl cov_shiftr. Qed.

Lemma var_const c : var (fun=> c) = 0.
Proof. exact: cov_constl. Qed.

(* a vector with zero variance equals its mean everywhere (uses w_pos) *)
Lemma var0_mean u : var u = 0 -> forall i, u i = mean u.
Proof.
move=> v0 i; apply: subr0_eq.
have ge0 j : true -> 0 <= w j * ((u j - mean u) * (u j - mean u)).
  by move=> _; apply: mulr_ge0; [exact: ltW | rewrite -expr2 sqr_ge0].
move: v0; rewrite /Moments.var covdef => v0.
have /eqP := psumr_eq0P ge0 v0 (i:=i) isT.
by rewrite !mulf_eq0 (negbTE (lt0r_neq0 (w_pos i))) orbb => /eqP.
Qed.

(* claim: var u = 0 makes u constant *)
Lemma var0_const u : var u = 0 -> forall i j, u i = u j.
Proof. by move=> v0 i j; rewrite !(var0_mean v0). Qed.

Lemma cov_var0 u v : var v = 0 -> cov u v = 0.
Proof.
move=> v0; rewrite cov_sym covE big1 // => i _.
by rewrite -(var0_mean v0 i) subrr mul0r mulr0.
Qed.

(* Cauchy-Schwarz: Cov(u, v)^2 <= Var u Var v.
   Proof: 0 <= Var(V u - c v) = V (V Var u - c^2), V = Var v, c = Cov(u, v). *)
Lemma cov_sqr_le u v : cov u v ^+ 2 <= var u * var v.
Proof.
have [v0|v0] := eqVneq (var v) 0.
  by rewrite cov_var0 // v0 expr0n mulr0.
have Vpos : 0 < var v by rewrite lt0r v0 var_ge0.
have := var_ge0 (fun i => var v * u i - cov u v * v i).
rewrite var_sub !var_scale cov_scalel cov_scaler.
have -> : var v * (cov u v * cov u v) = cov u v ^+ 2 * var v.
  by rewrite mulrC expr2.
rewrite mulr_natl mulr2n opprD addrA addrK subr_ge0 => h.
rewrite -(ler_pmul2r Vpos); apply: le_trans h _.
by rewrite expr2 mulrC mulrA.
Qed.

(* ---------- standard deviation ---------- *)

Lemma eq_sd u v : u =1 v -> sd u = sd v.
Proof. by move=> e; rewrite /Moments.sd (eq_var e). Qed.

Lemma sd_ge0 u : 0 <= sd u.
Proof. exact: sqrtr_ge0. Qed.

Lemma sd_sqr u : sd u ^+ 2 = var u.
Proof. exact/sqr_sqrtr/var_ge0. Qed.

Lemma sd_opp u : sd (fun i => - u i) = sd u.
Proof. by rewrite /Moments.sd var_opp. Qed.

Lemma sd_shift u c : sd (fun i => u i + c) = sd u.
Proof. by rewrite /Moments.sd var_shift. Qed.

(* SD(c u) = |c| SD(u) *)
Lemma sd_scale c u : sd (fun i => c * u i) = `|c| * sd u.
Proof. by rewrite /Moments.sd var_scale sqrtrM ?sqr_ge0 // sqrtr_sqr. Qed.

Lemma sd_const c : sd (fun=> c) = 0.
Proof. by rewrite /Moments.sd var_const sqrtr0. Qed.

(* Cauchy-Schwarz: |Cov(u, v)| <= SD(u) SD(v) *)
Lemma cov_le_sd u v : `|cov u v| <= sd u * sd v.
Proof.
rewrite -sqrtr_sqr /Moments.sd -sqrtrM ?var_ge0 //.
exact/ler_wsqrtr/cov_sqr_le.
Qed.

(* weighted Minkowski: SD(u + v) <= SD(u) + SD(v) *)
Lemma sd_add_le u v : sd (fun i => u i + v i) <= sd u + sd v.
Proof.
have sum_ge0 : 0 <= sd u + sd v by rewrite addr_ge0 ?sd_ge0.
rewrite -(ger0_norm sum_ge0) -sqrtr_sqr /Moments.sd ler_wsqrtr //.
rewrite var_add sqrrD !sd_sqr -mulr_natl addrAC ler_add2r ler_add2l.
rewrite ler_wpmul2l ?ler0n //.
exact: le_trans (ler_norm _) (cov_le_sd u v).
Qed.

Lemma sd_sub_le u v : sd (fun i => u i - v i) <= sd u + sd v.
Proof. by rewrite -(sd_opp v); apply: sd_add_le. Qed.

(* the standardised vector has variance one *)
Lemma var_standardise u : 0 < sd u -> var (standardise w u) = 1.
Proof.
move=> s0; rewrite (@eq_var _ (fun i => (sd u)^-1 * (u i + - mean u))); last first.
  by move=> i; rewrite /standardise mulrC.
rewrite var_scale var_shift -sd_sqr exprVn mulVf //.
by rewrite expf_neq0 // lt0r_neq0.
Qed.

Lemma sd_standardise u : 0 < sd u -> sd (standardise w u) = 1.
Proof. by move=> s0; rewrite /Moments.sd var_standardise // sqrtr1. Qed.

End Lemmas.

Arguments mean {R n} w u.
Arguments cov {R n} w u v.
Arguments var {R n} w u.
Arguments sd {R n} w u.
Arguments standardise {R n} w u.

(* ------------------------------------------------------------------------ *)
(* Uniform weights 1/K over the K labels (the label-side moments)            *)
(* ------------------------------------------------------------------------ *)

Definition uniform (R : numFieldType) (K : nat) : 'I_K -> R := fun=> K%:R^-1.
Arguments uniform : clear implicits.

Lemma uniform_pos (R : numFieldType) (K : nat) : (0 < K)%N -> forall i, 0 < uniform R K i.
Proof. by move=> K0 i; rewrite /uniform invr_gt0 ltr0n. Qed.

Lemma uniform_sum1 (R : numFieldType) (K : nat) : (0 < K)%N -> \sum_i uniform R K i = 1.
Proof.
move=> K0; rewrite /uniform sumr_const card_ord -[LHS]mulr_natl mulfV //.
by rewrite pnatr_eq0 -lt0n.
Qed.

(* ---------- a rational example, evaluated by computation ---------- *)
(* weights (1/2, 1/4, 1/4), u = (1, 2, 3), v = (2, 0, 1):
   E u = 7/4, E v = 5/4, Cov(u, v) = -7/16, Var u = 11/16. *)
Definition w_example : 'I_3 -> rat := fun i => nth 0 [:: 1/2; 1/4; 1/4] i.
Definition u_example : 'I_3 -> rat := fun i => nth 0 [:: 1; 2; 3] i.
Definition v_example : 'I_3 -> rat := fun i => nth 0 [:: 2; 0; 1] i.

Example cov_example : cov w_example u_example v_example = - (7%:R / 16%:R) :=
  erefl.

Example var_example : var w_example u_example = 11%:R / 16%:R := erefl.

(* the value, for evaluation from outside: [Compute cov_example_value.]
   prints [Rat (valq := (Negz 6, Posz 16)) _], i.e. -7/16 *)
Definition cov_example_value : rat := cov w_example u_example v_example.
