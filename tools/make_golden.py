"""Generate tests/golden/torch_trajectories.json from torch.optim (run once; torch is not a
dependency of the app or of its tests):

    python3 -m venv /tmp/torch-venv && /tmp/torch-venv/bin/pip install torch==2.13.0 numpy
    /tmp/torch-venv/bin/python tools/make_golden.py

Each case runs a torch.optim optimizer (single-tensor path, float64) for 1,000 updates on one
of the repo's own surfaces. The gradient comes from the surface's analytic gradient (the same
NumPy code the engine uses), so only the optimizer's update rule is compared. Positions 0, 10,
…, 1000 are stored. The torch rules (2.13, single tensor, checked in its sources):

- SGD: buf = g at the first step, then buf = μ·buf + (1−d)·g; Nesterov: g + μ·buf; θ −= η·dir.
- Adagrad: S += g²; θ −= η·g/(√S + ε) (ε outside the root; lr_decay 0).
- RMSprop: v = α·v + (1−α)·g² from v = 0; θ −= η·g/(√v + ε).
- Adam: m = lerp(m, g, 1−β₁); v = β₂·v + (1−β₂)·g²; θ −= η/(1−β₁^s)·m/(√v/√(1−β₂^s) + ε).
- AdamW: θ ·= (1 − η·λ) first, then the Adam step; Adam(weight_decay=λ) adds λθ to g.
- NAdam: μ_s = β₁(1 − ½·0.96^(sψ)); Π *= μ_s; θ −= η(1−μ_s)/(1−Π)·g/d + η·μ_{s+1}/(1−Π·μ_{s+1})·m/d,
  d = √(v/(1−β₂^s)) + ε.
- RAdam: ρ_s = ρ∞ − 2sβ₂^s/(1−β₂^s); if ρ_s > 5: θ −= η·m̂·r_s·√(1−β₂^s)/(√v + ε), else
  θ −= η·m̂ (ε is added to √v before the bias correction).
- Schedulers step after the optimizer: update t uses the rate of epoch t. ExponentialLR,
  StepLR and CosineAnnealingLR are chainable (recursive) forms of their closed forms;
  SequentialLR restarts the second scheduler at its milestone.
- Adadelta: v = ρv + (1−ρ)g²; δ = √(u+ε)/√(v+ε)·g; u = ρu + (1−ρ)δ²; θ −= η·δ.
- Adamax: u = max(β₂u, |g|+ε); θ −= η/(1−β₁^s)·m/u.  AMSGrad: v̂ = max(v̂, v) in Adam's σ.
- RMSprop centered: σ = √(v − ḡ²) + ε, ḡ = lerp(ḡ, g, 1−α); momentum: b = μb + g/σ, θ −= η·b.
- Rprop: step sizes start at lr, ×η₊/×η₋ on sign agreement/flip, clamped; g := 0 after a flip;
  θ −= sign(g)·s.  ASGD: θ ·= 1 − λη_s, θ −= η_s·g, η_{s+1} = lr/(1+λ·lr·s)^α.
- Adagrad: clr = lr/(1 + (s−1)·lr_decay); the sum starts at initial_accumulator_value.
- Adafactor on a vector (not factored): v = lerp(v, g², s^c); u = g/√max(v, ε₁²);
  θ −= min(lr, 1/√s)·max(ε₂, RMS(θ))/max(1, RMS(u)/d)·u (RMS(θ) before weight decay).
- Torch's CPU float64 arithmetic, measured on this machine: add(…, alpha=a), addcmul and lerp
  are fused multiply-adds (rounded once); addcdiv is x + (v·n)/d; sqrt (MKL) is not correctly
  rounded for ~1% of inputs. The engine's torch-named parts use the same fused forms.
- WSD and warm-up-then-linear have no torch class: torch.optim.lr_scheduler.LambdaLR runs the
  factor (the latter is transformers.get_linear_schedule_with_warmup's lambda). OneCycleLR
  and CyclicLR run with cycle_momentum=False (the engine's hyperparameters are constant);
  ReduceLROnPlateau.step(loss of θ^t) follows each optimizer.step().
"""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from surfaces import get_surface  # noqa: E402

STEPS, EVERY = 1000, 10
SURFACES = {
    "ellipse": ({"a": 1.0, "ratio": 100.0, "tilt": 0.1}, (-1.6, 1.2)),
    "rosenbrock": ({"b": 100.0}, (-1.5, 2.0)),
}
D_MODEL, WARM = 64.0, 100

# (id, torch optimizer, kwargs, engine preset, lr per surface, scheduler)
CASES = [
    ("gd", "SGD", {}, "gd", {"ellipse": 0.015, "rosenbrock": 4e-4}, None),
    ("momentum", "SGD", {"momentum": 0.9}, "momentum",
     {"ellipse": 0.004, "rosenbrock": 1e-4}, None),
    ("nesterov", "SGD", {"momentum": 0.9, "nesterov": True}, "nesterov",
     {"ellipse": 0.004, "rosenbrock": 1e-4}, None),
    ("momentum-damp-wd", "SGD", {"momentum": 0.9, "dampening": 0.1, "weight_decay": 0.01},
     "momentum", {"ellipse": 0.004, "rosenbrock": 1e-4}, None),
    ("adagrad", "Adagrad", {"eps": 1e-10}, "adagrad", {"ellipse": 0.3, "rosenbrock": 0.3}, None),
    ("rmsprop", "RMSprop", {"alpha": 0.99, "eps": 1e-8}, "rmsprop",
     {"ellipse": 0.01, "rosenbrock": 0.003}, None),
    ("adam", "Adam", {}, "adam", {"ellipse": 0.02, "rosenbrock": 0.02}, None),
    ("adam-l2", "Adam", {"weight_decay": 0.01}, "adam", {"ellipse": 0.02, "rosenbrock": 0.02},
     None),
    ("adamw", "AdamW", {"weight_decay": 0.01}, "adamw", {"ellipse": 0.02, "rosenbrock": 0.02},
     None),
    ("nadam", "NAdam", {}, "nadam", {"ellipse": 0.02, "rosenbrock": 0.01}, None),
    ("radam", "RAdam", {}, "radam", {"ellipse": 0.02, "rosenbrock": 2e-4}, None),
    ("adam-exponential", "Adam", {}, "adam", {"ellipse": 0.05, "rosenbrock": 0.05},
     ("exponential", {"gamma": 0.995})),
    ("momentum-step", "SGD", {"momentum": 0.9}, "momentum",
     {"ellipse": 0.004, "rosenbrock": 1e-4}, ("step", {"step_size": 100, "gamma": 0.5})),
    ("adam-cosine", "Adam", {}, "adam", {"ellipse": 0.05, "rosenbrock": 0.05},
     ("cosine", {"t_max": 300, "eta_min": 1e-4})),
    ("rmsprop-warmup-cosine", "RMSprop", {}, "rmsprop", {"ellipse": 0.01, "rosenbrock": 0.003},
     ("warmup", {"warmup": 50, "start_factor": 0.1,
                 "then": {"kind": "cosine", "t_max": 950, "eta_min": 0.0}})),
    ("adam-transformer", "Adam", {}, "adam", {"ellipse": 1.0, "rosenbrock": 1.0},
     ("transformer", {"d_model": D_MODEL, "warmup": WARM})),
    ("gd-inv-sqrt", "SGD", {}, "gd", {"ellipse": 0.015, "rosenbrock": 4e-4}, ("inv_sqrt", {})),
    # -- torch.optim, the rest of it (issue 11) --
    ("gd-wd", "SGD", {"weight_decay": 0.05}, "gd", {"ellipse": 0.015, "rosenbrock": 4e-4}, None),
    ("nesterov-wd", "SGD", {"momentum": 0.8, "nesterov": True, "weight_decay": 0.02}, "nesterov",
     {"ellipse": 0.004, "rosenbrock": 1e-4}, None),
    ("momentum-damp", "SGD", {"momentum": 0.9, "dampening": 0.5}, "momentum",
     {"ellipse": 0.004, "rosenbrock": 1e-4}, None),
    ("adadelta", "Adadelta", {}, "adadelta", {"ellipse": 1.0, "rosenbrock": 0.5}, None),
    ("adadelta-rho-wd", "Adadelta", {"rho": 0.95, "eps": 1e-5, "weight_decay": 0.01}, "adadelta",
     {"ellipse": 2.0, "rosenbrock": 0.5}, None),
    ("adamax", "Adamax", {}, "adamax", {"ellipse": 0.02, "rosenbrock": 0.01}, None),
    ("adamax-wd", "Adamax", {"betas": (0.8, 0.99), "weight_decay": 0.01}, "adamax",
     {"ellipse": 0.02, "rosenbrock": 0.01}, None),
    ("amsgrad", "Adam", {"amsgrad": True}, "amsgrad", {"ellipse": 0.02, "rosenbrock": 0.02}, None),
    ("adamw-amsgrad", "AdamW", {"amsgrad": True, "weight_decay": 0.01}, "adamw",
     {"ellipse": 0.02, "rosenbrock": 0.02}, None),
    ("rmsprop-centered", "RMSprop", {"centered": True}, "rmsprop_centered",
     {"ellipse": 0.003, "rosenbrock": 0.001}, None),
    ("rmsprop-momentum", "RMSprop", {"momentum": 0.9}, "rmsprop_momentum",
     {"ellipse": 0.001, "rosenbrock": 3e-4}, None),
    ("rmsprop-centered-momentum-wd", "RMSprop",
     {"centered": True, "momentum": 0.5, "weight_decay": 0.01, "alpha": 0.9}, "rmsprop_momentum",
     {"ellipse": 3e-5, "rosenbrock": 3e-4}, None),
    ("rprop", "Rprop", {}, "rprop", {"ellipse": 0.01, "rosenbrock": 0.01}, None),
    ("rprop-etas", "Rprop", {"etas": (0.3, 1.5), "step_sizes": (1e-4, 0.05)}, "rprop",
     {"ellipse": 0.02, "rosenbrock": 0.001}, None),
    ("asgd", "ASGD", {}, "asgd", {"ellipse": 0.015, "rosenbrock": 4e-4}, None),
    ("asgd-strong", "ASGD", {"lambd": 0.05, "alpha": 0.6, "weight_decay": 0.01}, "asgd",
     {"ellipse": 0.015, "rosenbrock": 4e-4}, None),
    ("adagrad-lr-decay", "Adagrad", {"lr_decay": 0.01, "initial_accumulator_value": 0.1,
                                      "eps": 1e-10}, "adagrad",
     {"ellipse": 0.5, "rosenbrock": 0.5}, None),
    ("adagrad-wd", "Adagrad", {"weight_decay": 0.01, "initial_accumulator_value": 1.0}, "adagrad",
     {"ellipse": 0.3, "rosenbrock": 0.3}, None),
    ("nadam-decoupled", "NAdam", {"weight_decay": 0.05, "decoupled_weight_decay": True}, "nadam",
     {"ellipse": 0.02, "rosenbrock": 0.01}, None),
    ("radam-decoupled", "RAdam", {"weight_decay": 0.05, "decoupled_weight_decay": True}, "radam",
     {"ellipse": 0.02, "rosenbrock": 2e-4}, None),
    ("adafactor", "Adafactor", {}, "adafactor", {"ellipse": 0.01, "rosenbrock": 0.01}, None),
    ("adafactor-wd", "Adafactor", {"weight_decay": 0.01, "beta2_decay": -0.5, "d": 1.0,
                                   "eps": (None, 1e-2)}, "adafactor",
     {"ellipse": 0.05, "rosenbrock": 0.005}, None),
    # -- torch.optim.lr_scheduler, the rest of it (issue 11) --
    ("adam-linear", "Adam", {}, "adam", {"ellipse": 0.05, "rosenbrock": 0.05},
     ("linear", {"start_factor": 1.0, "end_factor": 0.05, "total_iters": 800})),
    ("momentum-warmup-linear", "SGD", {"momentum": 0.9}, "momentum",
     {"ellipse": 0.004, "rosenbrock": 1e-4}, ("warmup_linear", {"warmup": 100, "total": 900})),
    ("adam-onecycle", "Adam", {}, "adam", {"ellipse": 0.05, "rosenbrock": 0.05},
     ("onecycle", {"total_steps": 1000, "pct_start": 0.3, "div_factor": 25.0,
                   "final_div_factor": 1e4})),
    ("momentum-cyclic", "SGD", {"momentum": 0.9}, "momentum",
     {"ellipse": 0.004, "rosenbrock": 1e-4},
     ("cyclic", {"step_size_up": 150, "step_size_down": 100, "base_factor": 0.1})),
    ("adam-cosine-restarts", "Adam", {}, "adam", {"ellipse": 0.05, "rosenbrock": 0.05},
     ("cosine_restarts", {"t_0": 150, "t_mult": 2, "eta_min": 1e-4})),
    ("rmsprop-poly", "RMSprop", {}, "rmsprop", {"ellipse": 0.01, "rosenbrock": 0.003},
     ("poly", {"total_iters": 800, "power": 2.0})),
    ("momentum-multistep", "SGD", {"momentum": 0.9}, "momentum",
     {"ellipse": 0.004, "rosenbrock": 1e-4},
     ("multistep", {"milestone1": 200, "milestone2": 500, "milestone3": 800, "gamma": 0.3})),
    ("adam-constant-factor", "Adam", {}, "adam", {"ellipse": 0.05, "rosenbrock": 0.05},
     ("constant_factor", {"factor": 0.25, "total_iters": 300})),
    ("adam-wsd", "Adam", {}, "adam", {"ellipse": 0.05, "rosenbrock": 0.05},
     ("wsd", {"warmup": 100, "stable": 500, "decay": 300, "min_factor": 0.1})),
    ("gd-plateau", "SGD", {}, "gd", {"ellipse": 0.015, "rosenbrock": 4e-4},
     ("plateau", {"factor": 0.5, "patience": 20, "threshold": 0.02, "cooldown": 5,
                  "eta_min": 1e-5})),
    ("adam-plateau", "Adam", {}, "adam", {"ellipse": 0.05, "rosenbrock": 0.05},
     ("plateau", {"factor": 0.3, "patience": 10, "threshold": 1e-4, "cooldown": 0,
                  "eta_min": 0.0})),
]  # fmt: skip

ENGINE_NAMES = {"momentum": "momentum", "dampening": "dampening", "weight_decay": "weight_decay",
                "eps": "eps", "alpha": "alpha", "rho": "rho", "lr_decay": "lr_decay",
                "initial_accumulator_value": "initial_accumulator_value", "lambd": "lambd",
                "beta2_decay": "beta2_decay", "d": "d"}  # fmt: skip


def engine_settings(kwargs):
    """The engine's settings for torch's keyword arguments (tuples and flags spelled out)."""
    out = {ENGINE_NAMES[k]: v for k, v in kwargs.items() if k in ENGINE_NAMES}
    if "betas" in kwargs:
        out["beta1"], out["beta2"] = kwargs["betas"]
    if "etas" in kwargs:
        out["etaminus"], out["etaplus"] = kwargs["etas"]
    if "step_sizes" in kwargs:
        out["step_size_min"], out["step_size_max"] = kwargs["step_sizes"]
    if isinstance(kwargs.get("eps"), tuple):  # Adafactor's (ε₁, ε₂): ε₁ = finfo.eps always
        out["eps"] = kwargs["eps"][1]
    if kwargs.get("amsgrad"):
        out["sigma"] = "amsgrad"
    if kwargs.get("decoupled_weight_decay"):
        out["decoupled"] = True
    if kwargs.get("centered"):
        out["sigma"] = "rmsprop_centered"
    return out


def wsd_lambda(w, s, d, f):
    """Warm-up–stable–decay as a LambdaLR factor (the engine's ``schedules.wsd``, written
    again here step by step)."""

    def factor(t):
        if t < w:
            return t / max(1, w)
        if t < w + s:
            return 1.0
        return 1.0 - (1.0 - f) * min((t - w - s) / max(1, d), 1.0)

    return factor


def scheduler(opt, spec):
    from torch.optim import lr_scheduler as ls

    if spec is None:
        return None
    kind, s = spec
    if kind == "exponential":
        return ls.ExponentialLR(opt, gamma=s["gamma"])
    if kind == "step":
        return ls.StepLR(opt, step_size=s["step_size"], gamma=s["gamma"])
    if kind == "cosine":
        return ls.CosineAnnealingLR(opt, T_max=s["t_max"], eta_min=s["eta_min"])
    if kind == "warmup":
        warm = ls.LinearLR(opt, start_factor=s["start_factor"], end_factor=1.0,
                           total_iters=s["warmup"])  # fmt: skip
        cos = ls.CosineAnnealingLR(opt, T_max=s["then"]["t_max"], eta_min=s["then"]["eta_min"])
        return ls.SequentialLR(opt, [warm, cos], milestones=[s["warmup"]])
    if kind == "transformer":
        d, w = s["d_model"], s["warmup"]
        return ls.LambdaLR(opt, lambda t: d**-0.5 * min((t + 1) ** -0.5, (t + 1) * w**-1.5))
    if kind == "inv_sqrt":
        return ls.LambdaLR(opt, lambda t: 1.0 / math.sqrt(t + 1))
    if kind == "linear":
        return ls.LinearLR(opt, start_factor=s["start_factor"], end_factor=s["end_factor"],
                           total_iters=s["total_iters"])  # fmt: skip
    if kind == "warmup_linear":  # transformers.get_linear_schedule_with_warmup's lambda
        w, n = s["warmup"], s["total"]
        return ls.LambdaLR(opt, lambda t: float(t) / float(max(1, w)) if t < w else
                           max(0.0, float(n - t) / float(max(1, n - w))))  # fmt: skip
    if kind == "onecycle":
        return ls.OneCycleLR(opt, max_lr=opt.param_groups[0]["lr"], total_steps=s["total_steps"],
                             pct_start=s["pct_start"], div_factor=s["div_factor"],
                             final_div_factor=s["final_div_factor"],
                             cycle_momentum=False)  # fmt: skip
    if kind == "cyclic":
        lr = opt.param_groups[0]["lr"]
        return ls.CyclicLR(opt, base_lr=s["base_factor"] * lr, max_lr=lr,
                           step_size_up=s["step_size_up"], step_size_down=s["step_size_down"],
                           mode="triangular", cycle_momentum=False)  # fmt: skip
    if kind == "cosine_restarts":
        return ls.CosineAnnealingWarmRestarts(opt, T_0=s["t_0"], T_mult=s["t_mult"],
                                              eta_min=s["eta_min"])  # fmt: skip
    if kind == "poly":
        return ls.PolynomialLR(opt, total_iters=s["total_iters"], power=s["power"])
    if kind == "multistep":
        marks = [s[k] for k in ("milestone1", "milestone2", "milestone3") if s[k] > 0]
        return ls.MultiStepLR(opt, milestones=marks, gamma=s["gamma"])
    if kind == "constant_factor":
        return ls.ConstantLR(opt, factor=s["factor"], total_iters=s["total_iters"])
    if kind == "wsd":
        return ls.LambdaLR(opt, wsd_lambda(s["warmup"], s["stable"], s["decay"], s["min_factor"]))
    if kind == "plateau":
        return ls.ReduceLROnPlateau(opt, mode="min", factor=s["factor"], patience=s["patience"],
                                    threshold=s["threshold"], threshold_mode="rel",
                                    cooldown=s["cooldown"], min_lr=s["eta_min"])  # fmt: skip
    raise ValueError(kind)


def trajectory(surface, start, name, kwargs, lr, sched_spec):
    p = torch.tensor(start, dtype=torch.float64, requires_grad=True)
    cls = getattr(torch.optim, name)
    extra = {"foreach": False} if "foreach" in cls.__init__.__code__.co_varnames else {}
    opt = cls([p], lr=lr, **kwargs, **extra)
    sch = scheduler(opt, sched_spec)
    out, lrs = [p.detach().numpy().copy()], []
    for _ in range(STEPS):
        opt.zero_grad()
        loss, grad = surface.value_and_grad(p.detach().numpy().copy())
        p.grad = torch.from_numpy(grad)
        lrs.append(opt.param_groups[0]["lr"])
        opt.step()
        if isinstance(sch, torch.optim.lr_scheduler.ReduceLROnPlateau):
            sch.step(float(loss))  # the loss of θ^t, read after the update it made
        elif sch is not None:
            sch.step()
        out.append(p.detach().numpy().copy())
    return np.array(out), np.array(lrs, dtype=float)


def main():
    torch.set_default_dtype(torch.float64)
    cases = []
    for cid, name, kwargs, preset, lrs, sched in CASES:
        for skey, (values, start) in SURFACES.items():
            surface = get_surface(skey, **values)
            traj, used = trajectory(surface, start, name, kwargs, lrs[skey], sched)
            if not np.all(np.isfinite(traj)) or np.abs(traj).max() > 10:
                raise SystemExit(f"{cid} on {skey}: trajectory left the box; choose another lr")
            moved = np.abs(traj[-1] - traj[0]).max()
            if moved < 1e-3:
                raise SystemExit(f"{cid} on {skey}: barely moved ({moved:g}); choose another lr")
            hyper = {"lr": lrs[skey], **engine_settings(kwargs)}
            schedule = {"kind": "constant"}
            if sched is not None:
                schedule = {"kind": sched[0], **sched[1]}
            cases.append({
                "id": f"{cid}-{skey}",
                "surface": {"key": skey, "values": values},
                "start": list(start),
                "steps": STEPS,
                "every": EVERY,
                "engine": {"preset": preset, "hyper": hyper, "schedule": schedule},
                "torch": {"optimizer": name, "kwargs": kwargs,
                          "scheduler": None if sched is None else sched[0]},
                "theta": traj[::EVERY].tolist(),
                **({"lr": used[::EVERY].tolist()} if sched is not None else {}),
            })  # fmt: skip
            print(f"{cid:>28} {skey:<10} final {traj[-1]}  lr {used[0]:.3g} → {used[-1]:.3g}")
    out = ROOT / "tests" / "golden" / "torch_trajectories.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    doc = {
        "generated_with": {"torch": torch.__version__, "numpy": np.__version__},
        "note": (__doc__ or "").strip(),
        "cases": cases,
    }
    out.write_text(json.dumps(doc, indent=1) + "\n")
    print(f"{len(cases)} cases, {out.stat().st_size / 1e3:.0f} KB -> {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
