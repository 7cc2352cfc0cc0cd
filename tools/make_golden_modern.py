"""Generate tests/golden/modern_trajectories.json from each modern optimizer's reference package
(run once; the packages are not dependencies of the app or of its tests):

    /tmp/torch-venv/bin/pip install torch==2.13.0 numpy lion-pytorch==0.2.5 \\
        pytorch-optimizer==4.1.0 prodigyopt==1.1.2
    /tmp/torch-venv/bin/python tools/make_golden_modern.py

Same protocol as tools/make_golden.py (float64, 1,000 updates on the ellipse and on Rosenbrock,
the surface's own analytic gradient, positions 0, 10, …, 1000 stored; ``foreach=False`` where
the class has it). The reference rules, read in the packages' sources:

- Lion (lion-pytorch 0.2.5): θ ·= 1 − η·λ; θ −= η·sign(β₁b + (1−β₁)g) (mul then
  add(alpha=): one fused multiply-add); b = β₂b + (1−β₂)g.
- AdaBelief (pytorch-optimizer 4.1.0, rectify off): θ ·= 1 − λη (weight_decouple); m = lerp(m,
  g, 1−β₁); s = β₂s + (1−β₂)(g−m)² + ε; θ += (−η/(1−β₁ᵗ))·m/(√s/√(1−β₂ᵗ) + ε). ε = 1e-16.
- Yogi (pytorch-optimizer 4.1.0): m and v start at 1e-6; v += −(1−β₂)·sign(v − g²)·g²; the
  Adam step with ε = 1e-3 outside the root.
- LaProp (pytorch-optimizer 4.1.0): v = β₂v + (1−β₂)g²; η̄ = β₁η̄ + (1−β₁)η (Python floats);
  σ̃ = (√(v + 1e-15) + ε)/√(1−β₂ᵗ); b = β₁b + ((1−β₁)η·g)/σ̃; θ −= (η/η̄)·b; then θ ·= 1 − λη.
- ADOPT (pytorch-optimizer 4.1.0): L2 weight decay by default; step 1: v = g², θ not moved;
  then n = clamp(g/max(√v, ε), ±t^¼); m = lerp(m, n, 1−β₁); θ −= η·m; v = β₂v + (1−β₂)g².
- Prodigy (prodigyopt 1.1.2, no bias correction, growth rate ∞, β₃ = √β₂): dlr = d·η;
  num = β₃·num + (d/d₀)·dlr·⟨g, θ⁰ − θ⟩; m = β₁m + d(1−β₁)g; v = β₂v + d²(1−β₂)g²;
  s = β₃s + (d/d₀)·dlr·g; d = max(d, num/‖s‖₁); θ += (−λ·dlr)·θ; θ += (−dlr·m)/(√v + d·ε).
- Schedule-Free SGD / AdamW (schedulefree 1.4.1, in train mode, so θ is y; r = 0, weight power
  2, no internal warm-up): η_max = max(η_max, η); c = η_max²/Ση_max²; AdamW: ĝ = g/(√(v/(1−β₂ᵗ))
  + ε) + λy (SGD: ĝ = g + λy); y = lerp(y, z, c) + η(β(1−c) − 1)·ĝ; z = z − η·ĝ (z⁰ = θ⁰).
- AdEMAMix (pytorch-optimizer 4.1.0): L2 weight decay by default; m = lerp(m, g, 1−β₁);
  v = β₂v + (1−β₂)g²; b = lerp(b, g, 1−β₃,t); u = m/(1−β₁ᵗ) then u += α_t·b (one fused
  multiply-add); θ += (−η·u)/(√v/√(1−β₂ᵗ) + ε). With t_alpha_beta3 = T: α_t = min(tα/T, α),
  β₃,t = min(exp(ln β₁ ln β₃ / ((1 − t/T) ln β₃ + (t/T) ln β₁)), β₃).
- cautious=True (pytorch-optimizer 4.1.0, AdEMAMix, Lion, LaProp, ADOPT): u ·= mask with
  mask = [u·g > 0]·numel/(Σmask + 1) — on a 2-vector 2/(k + 1) where k coordinates agree; for
  AdEMAMix only the fast average is masked, for ADOPT by the sign of its scaled g. The cautious
  Lion is pytorch-optimizer's Lion (lerp, not lion-pytorch's mul-add: the same signs here).
- SophiaH (pytorch-optimizer 4.1.0) with its Hutchinson estimate replaced by the exact
  Hessian diagonal (the surface's own second derivatives), passed as its ``hessian=`` argument
  at steps 1, 1 + k, 1 + 2k, … (update_period k), nothing otherwise: m = lerp(m, g, 1−β₁);
  h̄ = lerp(h̄, diag ∇²L, 1−β₂) when given; θ −= η·clamp(m/max(h̄, ε), ±ρ).
- Shampoo (pytorch-optimizer 4.1.0) on one 2-vector (order 1) is full-matrix AdaGrad:
  g̃ = lerp(g, previous direction, μ) (the buffer starts at g), L2 term after that;
  G = εI + Σ g̃g̃ᵀ; direction = G^{-1/2} g̃ (SVD in float64); θ −= η·direction.
"""

from __future__ import annotations

import json
import sys
from importlib.metadata import version
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tools"))

from surfaces import get_surface  # noqa: E402

STEPS, EVERY = 1000, 10
SURFACES = {
    "ellipse": ({"a": 1.0, "ratio": 100.0, "tilt": 0.1}, (-1.6, 1.2)),
    "rosenbrock": ({"b": 100.0}, (-1.5, 2.0)),
}
PACKAGES = ("lion-pytorch", "pytorch-optimizer", "prodigyopt", "schedulefree")
#: pytorch-optimizer's own Lion (it offers cautious=True; lion-pytorch does not)
PO_LION = "pytorch_optimizer.Lion"


def reference(name):
    if name == PO_LION:
        import pytorch_optimizer

        return pytorch_optimizer.Lion
    if name == "Lion":
        from lion_pytorch import Lion

        return Lion
    if name == "Prodigy":
        from prodigyopt import Prodigy

        return Prodigy
    if name.endswith("ScheduleFree"):
        import schedulefree

        return getattr(schedulefree, name)
    import pytorch_optimizer

    return getattr(pytorch_optimizer, name)


COSINE = ("cosine", {"t_max": 1000, "eta_min": 0.0})

# (id, reference class, kwargs, engine preset, engine settings, lr per surface[, scheduler])
CASES = [
    ("lion", "Lion", {}, "lion", {}, {"ellipse": 3e-3, "rosenbrock": 1e-3}),
    ("lion-wd", "Lion", {"betas": (0.8, 0.95), "weight_decay": 0.5}, "lion",
     {"beta1": 0.8, "beta2": 0.95, "weight_decay": 0.5}, {"ellipse": 3e-3, "rosenbrock": 1e-3}),
    ("adabelief", "AdaBelief", {}, "adabelief", {}, {"ellipse": 0.02, "rosenbrock": 0.01}),
    ("adabelief-wd", "AdaBelief", {"weight_decay": 0.01, "eps": 1e-10}, "adabelief",
     {"weight_decay": 0.01, "eps": 1e-10}, {"ellipse": 0.02, "rosenbrock": 0.01}),
    ("adabelief-l2", "AdaBelief", {"weight_decay": 0.01, "weight_decouple": False}, "adabelief",
     {"weight_decay": 0.01, "decoupled": False}, {"ellipse": 0.02, "rosenbrock": 0.01}),
    # ε inside s matters here (at 1e-16 it does not)
    ("adabelief-eps", "AdaBelief", {"eps": 1e-4}, "adabelief", {"eps": 1e-4},
     {"ellipse": 0.02, "rosenbrock": 0.02}),
    ("yogi", "Yogi", {}, "yogi", {}, {"ellipse": 0.02, "rosenbrock": 0.01}),
    ("yogi-wd", "Yogi", {"betas": (0.8, 0.99), "weight_decay": 0.01}, "yogi",
     {"beta1": 0.8, "beta2": 0.99, "weight_decay": 0.01}, {"ellipse": 0.02, "rosenbrock": 0.01}),
    ("laprop", "LaProp", {}, "laprop", {}, {"ellipse": 0.003, "rosenbrock": 0.002}),
    ("laprop-wd", "LaProp", {"weight_decay": 0.01, "betas": (0.8, 0.99)}, "laprop",
     {"weight_decay": 0.01, "beta1": 0.8, "beta2": 0.99}, {"ellipse": 0.003, "rosenbrock": 0.002}),
    ("laprop-cosine", "LaProp", {}, "laprop", {}, {"ellipse": 0.01, "rosenbrock": 0.003}, COSINE),
    ("adopt", "ADOPT", {}, "adopt", {}, {"ellipse": 0.01, "rosenbrock": 0.003}),
    ("adopt-l2", "ADOPT", {"weight_decay": 0.01, "betas": (0.8, 0.99)}, "adopt",
     {"weight_decay": 0.01, "beta1": 0.8, "beta2": 0.99}, {"ellipse": 0.01, "rosenbrock": 0.003}),
    # β₂ = 0.9: the clip at t^¼ is active (with the defaults it never is on these surfaces)
    ("adopt-clip", "ADOPT", {"betas": (0.9, 0.9)}, "adopt", {"beta2": 0.9},
     {"ellipse": 0.005, "rosenbrock": 0.01}),
    ("prodigy", "Prodigy", {}, "prodigy", {}, {"ellipse": 1.0, "rosenbrock": 1.0}),
    ("prodigy-wd", "Prodigy", {"weight_decay": 0.01, "d0": 1e-4, "d_coef": 0.5}, "prodigy",
     {"weight_decay": 0.01, "d0": 1e-4, "d_coef": 0.5}, {"ellipse": 1.0, "rosenbrock": 1.0}),
    ("prodigy-l2", "Prodigy", {"weight_decay": 0.01, "decouple": False}, "prodigy",
     {"weight_decay": 0.01, "decoupled": False}, {"ellipse": 0.5, "rosenbrock": 0.5}),
    ("sf-sgd", "SGDScheduleFree", {}, "schedule_free_sgd", {},
     {"ellipse": 0.01, "rosenbrock": 4e-4}),
    ("sf-sgd-wd", "SGDScheduleFree", {"momentum": 0.8, "weight_decay": 0.01}, "schedule_free_sgd",
     {"momentum": 0.8, "weight_decay": 0.01}, {"ellipse": 0.01, "rosenbrock": 4e-4}),
    ("sf-adamw", "AdamWScheduleFree", {}, "schedule_free_adamw", {},
     {"ellipse": 0.02, "rosenbrock": 0.01}),
    ("sf-adamw-wd", "AdamWScheduleFree", {"betas": (0.8, 0.99), "weight_decay": 0.05},
     "schedule_free_adamw", {"beta1": 0.8, "beta2": 0.99, "weight_decay": 0.05},
     {"ellipse": 0.02, "rosenbrock": 0.01}),
    ("sf-adamw-cosine", "AdamWScheduleFree", {}, "schedule_free_adamw", {},
     {"ellipse": 0.02, "rosenbrock": 0.01}, COSINE),
    # a warm-up: the averaging weights c_t ∝ (max η so far)² grow with it
    ("sf-sgd-warmup", "SGDScheduleFree", {}, "schedule_free_sgd", {},
     {"ellipse": 0.01, "rosenbrock": 4e-4}, ("warmup_linear", {"warmup": 100, "total": 1200})),
    ("prodigy-cosine", "Prodigy", {}, "prodigy", {}, {"ellipse": 1.0, "rosenbrock": 0.3}, COSINE),
    # -- issue 11, the rest of the catalogue --
    ("ademamix", "AdEMAMix", {}, "ademamix", {}, {"ellipse": 0.02, "rosenbrock": 0.01}),
    ("ademamix-l2", "AdEMAMix", {"weight_decay": 0.01, "betas": (0.8, 0.99, 0.999),
     "alpha": 2.0}, "ademamix", {"weight_decay": 0.01, "beta1": 0.8, "beta2": 0.99,
     "beta3": 0.999, "alpha_mix": 2.0}, {"ellipse": 0.02, "rosenbrock": 0.005}),
    ("ademamix-wd", "AdEMAMix", {"weight_decay": 0.01, "weight_decouple": True}, "ademamix",
     {"weight_decay": 0.01, "decoupled": True}, {"ellipse": 0.02, "rosenbrock": 0.01}),
    # the α and β₃ warm-up, over 300 of the 1,000 updates
    ("ademamix-warmup", "AdEMAMix", {"t_alpha_beta3": 300}, "ademamix", {"t_alpha_beta3": 300},
     {"ellipse": 0.02, "rosenbrock": 0.01}),
    ("ademamix-cautious", "AdEMAMix", {"cautious": True}, "ademamix_cautious", {},
     {"ellipse": 0.02, "rosenbrock": 0.01}),
    ("ademamix-cautious-warmup", "AdEMAMix", {"cautious": True, "t_alpha_beta3": 300},
     "ademamix_cautious", {"t_alpha_beta3": 300}, {"ellipse": 0.02, "rosenbrock": 0.01}, COSINE),
    ("lion-cautious", PO_LION, {"cautious": True}, "lion_cautious", {},
     {"ellipse": 3e-3, "rosenbrock": 1e-3}),
    ("lion-cautious-wd", PO_LION, {"cautious": True, "betas": (0.8, 0.95), "weight_decay": 0.5},
     "lion_cautious", {"beta1": 0.8, "beta2": 0.95, "weight_decay": 0.5},
     {"ellipse": 3e-3, "rosenbrock": 1e-3}),
    ("laprop-cautious", "LaProp", {"cautious": True}, "laprop", {"cautious": True},
     {"ellipse": 0.003, "rosenbrock": 0.002}),
    ("adopt-cautious", "ADOPT", {"cautious": True}, "adopt", {"cautious": True},
     {"ellipse": 0.01, "rosenbrock": 0.003}),
    ("sophia", "SophiaH", {}, "sophia", {}, {"ellipse": 0.06, "rosenbrock": 0.06}),
    # ρ = 1: the clip lets m̄/h̄ through near the minimum (at ρ = 0.01 every step is clipped)
    ("sophia-every", "SophiaH", {"update_period": 1, "p": 1.0, "betas": (0.9, 0.95)}, "sophia",
     {"hessian_period": 1, "clip": 1.0, "beta1": 0.9, "beta2": 0.95},
     {"ellipse": 0.05, "rosenbrock": 0.02}),
    ("sophia-l2", "SophiaH", {"weight_decay": 0.01, "weight_decouple": False, "eps": 1e-3},
     "sophia", {"weight_decay": 0.01, "decoupled": False, "eps": 1e-3},
     {"ellipse": 0.06, "rosenbrock": 0.06}),
    ("full-adagrad", "Shampoo", {"matrix_eps": 1e-6}, "full_adagrad", {},
     {"ellipse": 0.1, "rosenbrock": 0.1}),
    ("full-adagrad-momentum", "Shampoo", {"momentum": 0.5, "matrix_eps": 1e-3}, "full_adagrad",
     {"momentum": 0.5, "eps": 1e-3}, {"ellipse": 0.1, "rosenbrock": 0.05}),
    ("full-adagrad-l2", "Shampoo", {"weight_decay": 0.01}, "full_adagrad",
     {"weight_decay": 0.01}, {"ellipse": 0.1, "rosenbrock": 0.1}),
]  # fmt: skip


def trajectory(surface, start, name, kwargs, lr, sched_spec=None):
    from make_golden import scheduler  # torch.optim.lr_scheduler, as for torch.optim

    p = torch.tensor(start, dtype=torch.float64, requires_grad=True)
    cls = reference(name)
    extra = {"foreach": False} if "foreach" in cls.__init__.__code__.co_varnames else {}
    opt = cls([p], lr=lr, **kwargs, **extra)
    sch = scheduler(opt, sched_spec)
    if hasattr(opt, "train"):  # Schedule-Free: p holds y, where the gradient is taken
        opt.train()
    out, d, z = [p.detach().numpy().copy()], [], [p.detach().numpy().copy()]
    period = getattr(opt, "update_period", None) if name == "SophiaH" else None
    for k in range(STEPS):
        opt.zero_grad()
        _, grad = surface.value_and_grad(p.detach().numpy().copy())
        p.grad = torch.from_numpy(grad)
        # η^t of this update as the optimizer uses it (Prodigy: d_t·η)
        d.append(opt.param_groups[0].get("d", 1.0) * opt.param_groups[0]["lr"])
        if period is not None:  # SophiaH: the exact Hessian diagonal in place of Hutchinson's
            hess = None
            if k % period == 0:
                h = surface.hess(p.detach().numpy().copy())
                hess = [torch.from_numpy(np.array([h[0, 0], h[1, 1]]))]
            opt.step(hessian=hess)
        else:
            opt.step()
        if sch is not None:
            sch.step()
        out.append(p.detach().numpy().copy())
        z.append(opt.state[p]["z"].numpy().copy() if "z" in opt.state[p] else out[-1])
    return np.array(out), np.array(d, dtype=float), np.array(z)


def main():
    torch.set_default_dtype(torch.float64)
    cases = []
    for cid, name, kwargs, preset, settings, lrs, *maybe in CASES:
        sched = maybe[0] if maybe else None
        for skey, (values, start) in SURFACES.items():
            surface = get_surface(skey, **values)
            traj, used, z = trajectory(surface, start, name, kwargs, lrs[skey], sched)
            if not np.all(np.isfinite(traj)) or np.abs(traj).max() > 10:
                raise SystemExit(f"{cid} on {skey}: trajectory left the box; choose another lr")
            moved = np.abs(traj[-1] - traj[0]).max()
            if moved < 1e-3:
                raise SystemExit(f"{cid} on {skey}: barely moved ({moved:g}); choose another lr")
            cases.append({
                "id": f"{cid}-{skey}",
                "surface": {"key": skey, "values": values},
                "start": list(start),
                "steps": STEPS,
                "every": EVERY,
                "engine": {"preset": preset, "hyper": {"lr": lrs[skey], **settings},
                           "schedule": {"kind": sched[0], **sched[1]} if sched else
                           {"kind": "constant"}},
                "reference": {"optimizer": name, "kwargs": kwargs,
                              "scheduler": sched[0] if sched else None},
                "theta": traj[::EVERY].tolist(),
                # η^t as the optimizer used it (Prodigy: d_t·η)
                **({"lr": used[::EVERY].tolist()} if name == "Prodigy" or sched else {}),
                # what the Hessian-based cases were given in place of the package's estimate
                **({"hessian": "exact diagonal (surface.hess), every update_period"}
                   if name == "SophiaH" else {}),
                # Schedule-Free's z (its x is the weighted average of the z's)
                **({"z": z[::EVERY].tolist()} if "ScheduleFree" in name else {}),
            })  # fmt: skip
            print(f"{cid:>14} {skey:<10} final {traj[-1]}  η^t {used[0]:.3g} → {used[-1]:.3g}")
    out = ROOT / "tests" / "golden" / "modern_trajectories.json"
    doc = {
        "generated_with": {
            "torch": torch.__version__,
            "numpy": np.__version__,
            **{pkg: version(pkg) for pkg in PACKAGES},
        },
        "note": (__doc__ or "").strip(),
        "cases": cases,
    }
    out.write_text(json.dumps(doc, indent=1) + "\n")
    print(f"{len(cases)} cases, {out.stat().st_size / 1e3:.0f} KB -> {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
