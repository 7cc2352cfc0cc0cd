"""The Class experiment page's views: set up, the teacher's board, a student's page.

Which view a link opens (``main``):

- ``/classroom``: set up an experiment (from the Playground's view), or join one with a code;
- ``/classroom?room=ABCDEF&tk=<teacher token>``: the board and its controls (only with the
  token);
- ``/classroom?room=ABCDEF&me=<student id>&opt=…``: a student's page (``me`` is added on the
  first visit: the id is in the link, so a student whose server restarted comes back as
  themselves, with the settings they had).

Every rerun re-reads the experiment by its room code (expired or deleted: a clear page) and
re-checks the teacher's token against the stored hash.  Wrong codes and tokens count against
the client (``ratelimit``).  Every text a person typed (question, nickname) is shown through
``lab.plaintext``: ``md_literal`` in Markdown, ``plotly_literal`` in charts, ``visible`` in
tables and code blocks.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import time
from collections.abc import Sequence
from dataclasses import replace
from functools import partial
from typing import Any
from urllib.parse import urlencode

import streamlit as st
from sqlalchemy.exc import SQLAlchemyError

from optimizers import HYPERS, PRESETS, SCHEDULE_KINDS, Optimizer, OptimizerError, Schedule
from surfaces import SurfaceError

from .. import fairness, urlstate
from ..budget import LIMIT, OverBudget, sweep_cost
from ..compute import query_key, race
from ..controls import STATE as PLAYGROUND_STATE
from ..figures import fmt, fmt_lr, prebuilt
from ..i18n import DEFAULT, msg, t, tm
from ..page import LANG, current_lang
from ..plaintext import md_literal, visible
from ..sweep import LRS, SweepResult, sweep
from . import board as figs
from . import codes
from .experiment import (
    METRICS,
    UNLOCKABLE,
    best,
    constrain,
    csv_text,
    display_name,
    experiment_query,
    optimizer_name,
    outcome,
    pseudonym_text,
    student_query,
    student_settings,
    target_loss,
    track,
)
from .ratelimit import Limiter, client_key
from .store import Experiment, Refused, Store

ROOM, TOKEN, ME = "room", "tk", "me"
REFRESH = 2.0  # seconds between two board refreshes
LIMITER = Limiter()
WRITTEN = "cls_written"  # the student link this session last wrote into the address bar


# -- the store ---------------------------------------------------------------------------------
@st.cache_resource(show_spinner=False)
def get_store() -> Store:
    """One store per process: ``DATABASE_URL``, else ``[connections.sql]`` in
    .streamlit/secrets.toml (``st.connection("sql")``), else SQLite in the data folder."""
    if os.environ.get("DATABASE_URL"):
        s = Store()
    else:
        engine = _secrets_engine()
        s = Store(engine=engine) if engine is not None else Store()
    s.migrate()
    return s


def _secrets_engine() -> Any:
    """The engine of ``st.connection("sql")`` when .streamlit/secrets.toml has a
    ``[connections.sql]`` table (Community Cloud's way), else None."""
    try:
        conf = st.secrets.get("connections", {}).get("sql")
    except Exception:  # no secrets.toml at all
        return None
    if not conf:
        return None
    return st.connection("sql", type="sql", **dict(conf)).engine


def _first(params: dict[str, list[str]], key: str) -> str | None:
    v = params.get(key) or []
    return v[0] if v else None


def _lang_param(lang: str) -> dict[str, str]:
    return {LANG: lang} if lang != DEFAULT else {}


def _page_url() -> str:
    """This page's address in the browser (``ESL_PUBLIC_URL`` overrides it, e.g. behind a
    proxy that rewrites the host)."""
    base = os.environ.get("ESL_PUBLIC_URL") or st.context.url or ""
    base = base.split("?")[0].rstrip("/")
    if base.endswith("/classroom"):
        return base
    return base + "/classroom"


def student_link(code: str, lang: str) -> str:
    return f"{_page_url()}?{urlencode({ROOM: code, **_lang_param(lang)})}"


def teacher_link(code: str, token: str, lang: str) -> str:
    return f"{_page_url()}?{urlencode({ROOM: code, TOKEN: token, **_lang_param(lang)})}"


def qr_png(text: str) -> bytes:
    import segno

    buf = io.BytesIO()
    segno.make(text, error="m").save(buf, kind="png", scale=10, border=2)
    return buf.getvalue()


def problem(key: str, lang: str, **values: Any) -> None:
    """A clear page for a link that cannot be used (and a way on)."""
    st.title(t("class.title", lang))
    st.error(tm(msg(key, **values), lang), icon=":material/error:")
    st.page_link("pages/classroom.py", label=t("class.to_start", lang), icon=":material/login:",
                 query_params=_lang_param(lang))  # fmt: skip


# -- the page ----------------------------------------------------------------------------------
def main() -> None:
    lang = current_lang()
    params = urlstate.from_query_params(st.query_params)
    try:
        _route(params, lang)
    except SQLAlchemyError:
        st.error(t("class.db_error", lang), icon=":material/database:")


def _route(params: dict[str, list[str]], lang: str) -> None:
    if st.session_state.pop("cls_db_error", False):
        st.error(t("class.db_error", lang), icon=":material/database:")
    room = _first(params, ROOM)
    if room is None:
        setup_view(params, lang)
        return
    who = client_key(st.context.ip_address)
    wait = LIMITER.blocked(who)
    if wait > 0:
        problem("class.too_many_guesses", lang, minutes=max(1, round(wait / 60)))
        return
    code = codes.normalize_code(room)
    if code is None:
        LIMITER.failed(who)
        problem("class.bad_code", lang, code=room[:20])
        return
    exp = get_store().experiment(code)
    if exp is None:
        LIMITER.failed(who)
        problem("class.no_room", lang, code=code)
        return
    token = _first(params, TOKEN)
    if token is not None:
        if get_store().teacher(code, token) is None:
            LIMITER.failed(who)
            problem("class.bad_token", lang)
            return
        board_view(exp, token, lang)
    else:
        student_view(exp, params, lang)


# -- set up ------------------------------------------------------------------------------------
def _source_settings(params: dict[str, list[str]]) -> tuple[urlstate.Settings, str]:
    """The view an experiment starts from: a Playground link given to this page, else the
    Playground's settings in this session, else the Playground's defaults."""
    linked = {k: v for k, v in params.items() if k in urlstate.KNOWN_KEYS and k != LANG}
    if linked:
        return urlstate.parse(linked)[0], "link"
    s = st.session_state.get(PLAYGROUND_STATE)
    if isinstance(s, urlstate.Settings):
        return s, "playground"
    return urlstate.Settings(), "default"


def _join(lang: str) -> None:
    code = str(st.session_state.get("cls_code") or "").strip()[:12]
    st.query_params.from_dict({ROOM: code, **_lang_param(lang)})


def setup_view(params: dict[str, list[str]], lang: str) -> None:
    st.title(t("class.title", lang))
    st.caption(t("class.intro", lang))
    st.subheader(t("class.join_header", lang))
    with st.form("cls_join", border=False):
        st.text_input(t("class.join_code", lang), max_chars=12, key="cls_code",
                      placeholder="ABC234")  # fmt: skip
        st.form_submit_button(t("class.join", lang), icon=":material/login:", on_click=_join,
                              args=(lang,))  # fmt: skip

    st.subheader(t("class.setup_header", lang))
    s, source = _source_settings(params)
    s = replace(s, runs=s.runs[:1])
    st.caption(t(f"class.source_{source}", lang))
    o = s.runs[0]
    st.markdown(
        t(
            "class.base",
            lang,
            surface=_surface_name(s, lang),
            x=fmt(s.start_point[0]),
            y=fmt(s.start_point[1]),
            steps=f"{s.steps:,}",
            optimizer=optimizer_name(o.preset or "custom", lang),
            lr=fmt_lr(o.lr),
        )
    )
    st.page_link("pages/playground.py", label=t("class.edit_in_playground", lang),
                 icon=":material/sports_score:",
                 query_params={**urlstate.to_query(replace(s, lang=lang))})  # fmt: skip
    st.pills(t("class.unlock", lang), UNLOCKABLE, selection_mode="multi", default=["lr"],
             key="cls_unlock", format_func=lambda k: t(f"class.unlock_{k}", lang))  # fmt: skip
    st.text_area(t("class.question", lang), value=t("class.default_question", lang),
                 max_chars=300, key="cls_question")  # fmt: skip
    st.radio(t("sweep.metric", lang), METRICS, key="cls_metric", horizontal=True,
             format_func=lambda k: t(f"sweep.metric_{k}", lang))  # fmt: skip
    st.select_slider(t("sweep.tol", lang), urlstate.TOL_OPTIONS, value=1e-3, key="cls_tol",
                     format_func=lambda v: f"{v:g}", help=t("sweep.tol_help", lang))  # fmt: skip
    st.checkbox(t("class.allow_names", lang), key="cls_allow_names")
    st.button(
        t("class.create", lang),
        type="primary",
        icon=":material/groups:",
        key="cls_create",
        on_click=_create,
        args=(json.dumps(experiment_query(s)), lang),
    )


def _create(query: str, lang: str) -> None:
    """The Create button (a callback: it runs before the page, whatever reruns follow)."""
    ss = st.session_state
    try:
        _do_create(query, lang)
    except SQLAlchemyError:
        ss["cls_db_error"] = True


def _do_create(query: str, lang: str) -> None:
    ss = st.session_state
    exp, token = get_store().create_experiment(
        json.loads(query), unlocked=list(ss.get("cls_unlock") or []),
        question=str(ss.get("cls_question") or ""), metric=str(ss.get("cls_metric", "loss")),
        tol=float(ss.get("cls_tol", 1e-3)), allow_names=bool(ss.get("cls_allow_names")),
    )  # fmt: skip
    st.query_params.from_dict({ROOM: exp.code, TOKEN: token, **_lang_param(lang)})


def _surface_name(s: urlstate.Settings, lang: str) -> str:
    if s.surface.key == urlstate.CUSTOM:
        return md_literal(urlstate.to_query(s).get("f", ""))
    return t(f"surface.{s.surface.key}.name", lang)


# -- the board ---------------------------------------------------------------------------------
def _names(exp: Experiment, subs: Sequence[Any], lang: str) -> list[str]:
    show = exp.show_names and exp.allow_names
    return [display_name(s.pseudonym, s.nickname, show, lang) for s in subs]


@st.cache_resource(max_entries=8, ttl=600, show_spinner=False)
def _board_data(exp_id: int, version: int) -> Any:
    """The board's rows at one version of the experiment (re-read only when it changed).
    Bounded: a board of 500 runs is a few MB of Python objects; old versions are of no use."""
    return get_store().board(exp_id)


def _sweep_key(exp: Experiment, subs: Sequence[Any]) -> str:
    """The optimizers (η aside) the sweep curves are drawn for: the class's, most used first,
    as many as fit the cost bound (lab.budget); the experiment's own when nobody sent yet."""
    s = _base(exp)
    seen: dict[str, int] = {}
    for sub in subs:
        tok = sub.settings.get("opt", [""])[0]
        head = tok.split(",")
        tok = ",".join(p for p in head if not p.startswith("lr:"))
        seen[tok] = seen.get(tok, 0) + 1
    opts = sorted(seen, key=lambda k: -seen[k]) or [
        ",".join(p for p in urlstate.opt_token(s.runs[0]).split(",") if not p.startswith("lr:"))
    ]
    opts = opts[: urlstate.MAX_RUNS]

    def built(tokens: list[str]) -> list[Any]:  # (a Newton or Sophia pays its Hessians)
        return [o for o in (urlstate.parse_opt(k, 1, []) for k in tokens) if o is not None]

    while opts and sweep_cost(s.surface, len(opts), LRS.size, s.steps, built(opts)) > LIMIT:
        opts.pop()
    return json.dumps({"q": exp.settings, "opts": opts, "tol": exp.tol}, sort_keys=True)


@st.cache_resource(max_entries=16, ttl=3600, show_spinner=False)
def _sweep(key: str) -> SweepResult | None:
    d = json.loads(key)
    if not d["opts"]:
        return None
    s = urlstate.parse(d["q"])[0]
    warnings: list[Any] = []
    runs = [urlstate.parse_opt(o, i + 1, warnings) for i, o in enumerate(d["opts"])]
    with fairness.slot():
        return sweep(s.surface, tuple(o for o in runs if o is not None), start=s.start_point,
                     steps=s.steps, target=target_loss(s, d["tol"]))  # fmt: skip


def _base(exp: Experiment) -> urlstate.Settings:
    return urlstate.parse(exp.settings)[0]


@st.cache_resource(max_entries=8, ttl=600, show_spinner=False)
def _figures(code: str, sig: str, _data: Any, _exp: Experiment, lang: str, _sw: Any) -> Any:
    """The board's two figures for one set of submissions (``sig``: their ids, revisions and
    names): the same submissions give the same figures, so a refresh re-sends the same chart
    and the browser keeps it (zoom, animation)."""
    subs = _data.submissions
    names = _names(_exp, subs, lang)
    s = _base(_exp)
    paths = figs.trajectories_figure(s.surface, s.start_point, subs, names, lang=lang)
    paths["layout"]["meta"]["ids"] = [[x.id, x.revision] for x in subs]
    out = figs.outcome_figure(subs, names, _exp.metric, sweep=_sw, lang=lang)
    return prebuilt(paths), prebuilt(out)


def _csv(exp_id: int, show: bool, lang: str) -> bytes:
    return csv_text(get_store().board(exp_id).submissions, show, lang).encode("utf-8-sig")


def board_view(exp: Experiment, token: str, lang: str) -> None:
    store = get_store()
    link = student_link(exp.code, lang)
    st.title(t("class.board_title", lang, code=exp.code))
    if exp.question:
        st.markdown(f"#### {md_literal(exp.question)}")
    c1, c2 = st.columns([1, 3], vertical_alignment="center")
    c1.image(qr_png(link), width=220)
    c2.markdown(t("class.join_at", lang))
    c2.code(visible(link), language=None, wrap_lines=True)
    c2.markdown(t("class.room_code", lang, code=exp.code))
    _teacher_controls(store, exp, token, lang)

    @st.fragment(run_every=REFRESH)
    def live() -> None:
        now = store.teacher(exp.code, token)  # the token, checked again on every refresh
        if now is None:
            st.warning(t("class.board_gone", lang), icon=":material/block:")
            return
        data = _board_data(now.id, now.version)
        subs = data.submissions
        held = st.session_state.get("cls_hold")
        shown = data
        if held:
            shown = st.session_state.setdefault("cls_held_data", data)
        else:
            st.session_state.pop("cls_held_data", None)
        m1, m2, m3, m4 = st.columns(4)
        m1.metric(t("class.joined", lang), f"{data.joined:,}")
        m2.metric(t("class.submitted", lang), f"{len(subs):,}")
        m3.metric(t("class.diverged", lang), f"{sum(s.diverged_at >= 0 for s in subs):,}")
        m4.metric(
            t("class.state", lang),
            t("class.state_open" if now.is_open else "class.state_closed", lang),
        )
        if held and len(shown.submissions) != len(subs):
            st.caption(t("class.held_note", lang, n=len(subs) - len(shown.submissions)))
        show = now.show_names and now.allow_names
        sig = json.dumps([[x.id, x.revision] for x in shown.submissions] + [show])
        sw = _sweep(_sweep_key(now, shown.submissions))
        paths, out = _figures(now.code, sig, shown, now, lang, sw)
        st.plotly_chart(paths, key="cls_paths", width="stretch",
                        config={"displaylogo": False, "scrollZoom": True})  # fmt: skip
        st.plotly_chart(out, key="cls_outcome", width="stretch",
                        config={"displaylogo": False})  # fmt: skip
        if sw is None:
            st.caption(t("class.no_sweep", lang))
        names = _names(now, subs, lang)
        by_id = {x.id: n for x, n in zip(subs, names, strict=True)}
        rows = [{
            "#": x.id, t("class.col_name", lang): visible(by_id[x.id]),
            t("sweep.col_optimizer", lang): optimizer_name(x.optimizer, lang),
            "η": fmt_lr(x.lr), t("sweep.col_loss", lang): fmt(x.final_loss),
            t("class.col_updates", lang): f"{x.hit:,}" if x.hit >= 0 else "—",
        } for x in best(subs, now.metric)]  # fmt: skip
        st.subheader(t("class.best_header", lang))
        if rows:
            st.dataframe(rows, hide_index=True)
        else:
            st.caption(t("class.no_runs_yet", lang))

    live()


def _teacher_controls(store: Store, exp: Experiment, token: str, lang: str) -> None:
    sb = st.sidebar
    sb.header(t("class.controls", lang))
    # the toggles show the stored state; a change is written by its callback
    st.session_state["cls_open"] = exp.is_open
    sb.toggle(t("class.open", lang), key="cls_open", on_change=_set, args=("open", exp.code,
                                                                            token))  # fmt: skip
    if exp.allow_names:
        st.session_state["cls_names"] = exp.show_names
        sb.toggle(t("class.show_names", lang), key="cls_names", on_change=_set,
                  args=("names", exp.code, token))  # fmt: skip
    sb.toggle(t("class.hold", lang), key="cls_hold", help=t("class.hold_help", lang))
    show_names = exp.show_names and exp.allow_names
    sb.download_button(t("class.export", lang), data=partial(_csv, exp.id, show_names, lang),
                       file_name=f"class-{exp.code}.csv", mime="text/csv", on_click="ignore",
                       icon=":material/table:")  # fmt: skip
    with sb.expander(t("class.danger", lang)):
        sure = st.checkbox(t("class.sure", lang), key="cls_sure")
        st.button(t("class.clear", lang), disabled=not sure, icon=":material/delete_sweep:",
                  key="cls_clear", on_click=_set, args=("clear", exp.code, token))  # fmt: skip
        st.button(
            t("class.delete", lang),
            disabled=not sure,
            icon=":material/delete:",
            key="cls_delete",
            on_click=_set,
            args=("delete", exp.code, token, lang),
        )
    with sb.expander(t("class.teacher_link", lang)):
        st.caption(t("class.teacher_link_help", lang))
        st.code(visible(teacher_link(exp.code, token, lang)), language=None, wrap_lines=True)
    sb.caption(
        t(
            "class.expires",
            lang,
            when=time.strftime("%Y-%m-%d %H:%M", time.localtime(exp.expires_at)),
        )
    )


def _set(what: str, code: str, token: str, lang: str = DEFAULT) -> None:
    """A teacher's control (callback): the token is checked again before any change."""
    try:
        _do_set(what, code, token, lang)
    except SQLAlchemyError:
        st.session_state["cls_db_error"] = True


def _do_set(what: str, code: str, token: str, lang: str) -> None:
    store = get_store()
    exp = store.teacher(code, token)
    if exp is None:
        return
    ss = st.session_state
    if what == "open":
        store.set_open(exp.id, bool(ss.get("cls_open")))
    elif what == "names":
        store.set_show_names(exp.id, bool(ss.get("cls_names")))
    elif what == "clear":
        store.clear(exp.id)
        ss["cls_sure"] = False
    elif what == "delete":
        store.delete_experiment(exp.id)
        ss["cls_sure"] = False
        st.query_params.from_dict(_lang_param(lang))


# -- a student ---------------------------------------------------------------------------------
def _seed(key: str, value: Any) -> None:
    if key not in st.session_state:
        st.session_state[key] = value


def _student_widgets(exp: Experiment, s: urlstate.Settings, lang: str) -> Optimizer:
    """The settings the student may change, in the main area (phones have no sidebar open);
    returns the optimizer they show (the page puts the locks back: ``constrain``)."""
    o = s.runs[0]
    free = exp.unlocked
    shown = [k for k in ("optimizer", "lr", "schedule") if k in free]
    cols = dict(zip(shown, st.columns(max(1, len(shown))), strict=False))
    name = o.preset or "custom"
    if "optimizer" in free:
        options = list(PRESETS) + ([name] if name not in PRESETS else [])
        _seed("cls_opt", name)
        name = cols["optimizer"].selectbox(t("ctl.optimizer", lang), options, key="cls_opt",
                                 format_func=lambda k: optimizer_name(k, lang))  # fmt: skip
        if name != (o.preset or "custom") and name in PRESETS:
            o = Optimizer(**{**PRESETS[name].settings, "preset": name}).with_(lr=o.lr)
    if "lr" in free:
        _seed("cls_lr", urlstate.nearest(o.lr, urlstate.LR_OPTIONS))
        lr = cols["lr"].select_slider(t("ctl.lr", lang), urlstate.LR_OPTIONS, key="cls_lr",
                                   format_func=fmt_lr)  # fmt: skip
        o = o.with_(lr=float(lr))
    if "schedule" in free:
        _seed("cls_sched", o.schedule.kind)
        kind = cols["schedule"].selectbox(t("ctl.schedule", lang), SCHEDULE_KINDS, key="cls_sched",
                                 format_func=lambda k: t(f"sched.{k}", lang))  # fmt: skip
        if kind != o.schedule.kind:
            o = o.with_(schedule=Schedule(kind))
    if "hypers" in free:
        hcols = st.columns(3)
        for i, h in enumerate(h for h in o.hypers_used if h != "lr"):
            spec = HYPERS[h]
            k = f"cls_h_{name}_{h}"
            _seed(k, float(getattr(o, h)))
            hi = spec.hi - (1e-4 if spec.hi_open else 0.0)
            v = hcols[i % 3].number_input(f"{t(f'hyper.{h}', lang)} {spec.symbol}",
                                          float(spec.lo), float(hi), key=k,
                                          step=0.01 if h != "eps" else 1e-8,
                                          format="%.4g" if h != "eps" else "%.1e")  # fmt: skip
            with contextlib.suppress(ValueError, OptimizerError):
                o = o.with_(**{h: float(v)})
    return o


def _clear_widgets() -> None:
    for k in [k for k in st.session_state if isinstance(k, str) and k.startswith(
            ("cls_opt", "cls_lr", "cls_sched", "cls_h_"))]:  # fmt: skip
        del st.session_state[k]


def student_view(exp: Experiment, params: dict[str, list[str]], lang: str) -> None:
    store = get_store()
    sid = _first(params, ME)
    if not codes.valid_student_id(sid):
        sid = codes.new_student_id()
    assert sid is not None
    joined = st.session_state.get("cls_joined")
    if joined is None or joined[0] != (exp.id, sid):
        try:
            pseudonym = store.join(exp.id, sid)
        except Refused as e:
            problem(f"class.refused_{e.reason}", lang, **e.values)
            return
        st.session_state["cls_joined"] = joined = ((exp.id, sid), pseudonym)
        _clear_widgets()
        st.session_state[WRITTEN] = None
    s = _student_header(exp, params, joined[1], lang)
    s = replace(
        s,
        runs=(
            constrain(
                _base(exp).runs[0],
                _student_widgets(exp, s, lang) if exp.unlocked else s.runs[0],
                exp.unlocked,
            ),
        ),
        lang=lang,
    )
    q = student_query(s)
    st.session_state[WRITTEN] = q["opt"]
    want = {ROOM: [exp.code], ME: [sid], **q, **{k: [v] for k, v in _lang_param(lang).items()}}
    if urlstate.from_query_params(st.query_params) != want:
        st.query_params.from_dict({k: v if len(v) > 1 else v[0] for k, v in want.items()})
    try:
        with st.spinner(t("pg.running", lang)):
            traj, fig, _ = race(query_key(s))
    except OverBudget as e:
        st.error(e.plan.message(lang))
        return
    except (OptimizerError, SurfaceError) as e:
        st.error(tm(msg("pg.cannot_run", detail=e), lang))
        return
    st.plotly_chart(fig, key="cls_preview", width="stretch",
                    config={"displaylogo": False, "scrollZoom": False})  # fmt: skip
    cut = traj.steps < s.steps
    if cut:
        st.warning(t("class.cut_short", lang, steps=f"{traj.steps:,}", asked=f"{s.steps:,}"))
    _send_box(store, exp, sid, s, cut, lang)


def _student_header(
    exp: Experiment, params: dict[str, list[str]], me: str, lang: str
) -> urlstate.Settings:
    """Title, name, question and what is fixed; the settings the student's link asks for."""
    url_opt = params.get("opt")
    s, warnings = student_settings(exp.settings, {"opt": url_opt or []}, exp.unlocked, lang)
    if url_opt and url_opt != st.session_state.get(WRITTEN):
        _clear_widgets()  # a link that brings other settings: the widgets show them
        st.session_state["cls_warnings"] = warnings
    st.title(t("class.student_title", lang))
    st.caption(t("class.you_are", lang, code=exp.code, name=md_literal(pseudonym_text(me, lang))))
    if exp.question:
        st.info(md_literal(exp.question), icon=":material/help:")
    free = [t(f"class.unlock_{k}", lang) for k in UNLOCKABLE if k in exp.unlocked]
    st.caption(t("class.fixed", lang, surface=_surface_name(s, lang), x=fmt(s.start_point[0]),
                 y=fmt(s.start_point[1]), steps=f"{s.steps:,}",
                 free=", ".join(free) or "—"))  # fmt: skip
    for w in st.session_state.get("cls_warnings") or []:
        st.warning(tm(w, lang), icon=":material/link_off:")
    return s


def _send_box(
    store: Store, exp: Experiment, sid: str, s: urlstate.Settings, cut: bool, lang: str
) -> None:
    """Nickname, Send to class, and what the board has of this student."""
    if exp.allow_names:
        _seed("cls_nick", store.nickname(exp.id, sid))
        st.text_input(t("class.nickname", lang), max_chars=codes.MAX_NICKNAME, key="cls_nick",
                      help=t("class.nickname_help", lang))  # fmt: skip
    if not exp.is_open:
        st.info(t("class.closed", lang), icon=":material/lock:")
    st.button(t("class.send", lang), type="primary", icon=":material/send:", key="cls_send",
              disabled=cut or not exp.is_open, on_click=_send,
              args=(exp.code, sid, query_key(s), exp.tol))  # fmt: skip
    result = st.session_state.pop("cls_result", None)
    if result is not None and result[0] == "sent":
        _, ack = result
        st.success(t("class.sent", lang, id=ack.submission_id, revision=ack.revision,
                     time=time.strftime("%H:%M:%S", time.localtime(ack.sent_at))),
                   icon=":material/check_circle:")  # fmt: skip
    elif result is not None:
        _, reason, values = result
        st.warning(tm(msg(f"class.refused_{reason}", **values), lang), icon=":material/block:")
    mine = store.my_submission(exp.id, sid)
    if mine is not None:
        st.caption(t("class.mine", lang, id=mine.id, optimizer=optimizer_name(mine.optimizer, lang),
                     lr=fmt_lr(mine.lr), loss=fmt(mine.final_loss),
                     time=time.strftime("%H:%M:%S", time.localtime(mine.sent_at))))  # fmt: skip


def _send(code: str, sid: str, key: str, tol: float) -> None:
    """Send to class (a callback): the run the page showed, its outcome from the engine, stored
    and committed before the page says "sent"."""
    store = get_store()
    exp = store.experiment(code)
    if exp is None:
        st.session_state["cls_result"] = ("refused", "gone", {})
        return
    q = json.loads(key)
    q.pop("labels", None)
    s, _ = urlstate.parse(q)
    s = replace(s, lang=DEFAULT)
    o = s.runs[0]
    try:
        traj, _, _ = race(key)
        res = outcome(s, tol)
        ack = store.submit(exp.id, sid, settings=urlstate.to_query(s),
                           optimizer=o.preset or "custom", lr=o.lr, final_loss=res.final_loss,
                           hit=res.hit, diverged_at=res.diverged_at, path=track(traj),
                           nickname=str(st.session_state.get("cls_nick") or ""))  # fmt: skip
    except Refused as e:
        st.session_state["cls_result"] = ("refused", e.reason, e.values)
    except SQLAlchemyError:  # the database is away: the page says so, nothing was sent
        st.session_state["cls_result"] = ("refused", "db", {})
    else:
        st.session_state["cls_result"] = ("sent", ack)
