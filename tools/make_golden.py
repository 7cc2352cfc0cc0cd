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
]  # fmt: skip

ENGINE_NAMES = {"momentum": "momentum", "dampening": "dampening", "weight_decay": "weight_decay",
                "eps": "eps", "alpha": "alpha"}  # fmt: skip


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
    raise ValueError(kind)


def trajectory(surface, start, name, kwargs, lr, sched_spec):
    p = torch.tensor(start, dtype=torch.float64, requires_grad=True)
    cls = getattr(torch.optim, name)
    extra = {"foreach": False} if "foreach" in cls.__init__.__code__.co_varnames else {}
    opt = cls([p], lr=lr, **kwargs, **extra)
    sch = scheduler(opt, sched_spec)
    out = [p.detach().numpy().copy()]
    for _ in range(STEPS):
        opt.zero_grad()
        p.grad = torch.from_numpy(surface.grad(p.detach().numpy().copy()))
        opt.step()
        if sch is not None:
            sch.step()
        out.append(p.detach().numpy().copy())
    return np.array(out)


def main():
    torch.set_default_dtype(torch.float64)
    cases = []
    for cid, name, kwargs, preset, lrs, sched in CASES:
        for skey, (values, start) in SURFACES.items():
            surface = get_surface(skey, **values)
            traj = trajectory(surface, start, name, kwargs, lrs[skey], sched)
            if not np.all(np.isfinite(traj)) or np.abs(traj).max() > 10:
                raise SystemExit(f"{cid} on {skey}: trajectory left the box; choose another lr")
            moved = np.abs(traj[-1] - traj[0]).max()
            if moved < 1e-3:
                raise SystemExit(f"{cid} on {skey}: barely moved ({moved:g}); choose another lr")
            hyper = {"lr": lrs[skey], **{ENGINE_NAMES[k]: v for k, v in kwargs.items()
                                         if k in ENGINE_NAMES}}  # fmt: skip
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
            })  # fmt: skip
            print(f"{cid:>24} {skey:<10} final {traj[-1]}")
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
