# SP²OT clustering model: the P²OT model with one head whose pseudo-labels
# add the kNN relation reward (lam1 = (1 - rho) * 1000), solved by
# Majorization-Minimization (<= 100 steps, |df| < 1e-6, inner tol 1e-10).
_base_ = './p2ot_vit-b16-dino.py'
model = dict(
    head=dict(
        num_heads=1,
        pseudo_labeler=dict(
            type='SemanticPartialOTPseudoLabeler',
            lam_init=1000.,
            eta=1.0,
            max_outer=100,
            outer_tol=1e-6,
            tol=1e-10)))
