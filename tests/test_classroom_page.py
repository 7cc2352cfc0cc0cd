"""The Class experiment page in Streamlit's AppTest: set up → student → board, the locks,
hostile text shown literally, bad and expired codes, wrong tokens, guessing, bounds; and the
st.connection("sql") route to PostgreSQL."""

from __future__ import annotations

import csv
import io
import json
import os
import re
from pathlib import Path

import pytest
from hostile_text import NASTY
from sqlalchemy import update
from streamlit.testing.v1 import AppTest

from lab.classroom import codes, ui
from lab.classroom.store import Store, experiments

ROOT = Path(__file__).resolve().parents[1]
APP = str(ROOT / "app.py")
PAGE = "pages/classroom.py"
NICKS = ["[x](https://evil.example)", "![i](https://e.x/p.png)", "<img src=x onerror=alert(1)>",
         "$\\href{https://e.x}{x}$", ":material/warning:"]  # fmt: skip


@pytest.fixture
def data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("ESL_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    ui.get_store.clear()
    ui.LIMITER._fails.clear()
    yield tmp_path
    ui.get_store.clear()


def page(query=None, secrets=None):
    at = AppTest.from_file(APP, default_timeout=120)
    if secrets:
        for k, v in secrets.items():
            at.secrets[k] = v
    if query and "lang" in query:
        at.query_params["lang"] = query["lang"]
    at.run()
    for k, v in (query or {}).items():
        at.query_params[k] = v
    at.switch_page(PAGE)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def qp(at, key):
    v = at.query_params.get(key)
    return v[0] if isinstance(v, list) else v


#: what must never reach Markdown unescaped from NASTY and the nicknames
RAW = [
    "[x](",
    "![p](",
    "![i](",
    "<img",
    ":material/warning:",
    "$\\href",
    ":red[",
    ":smile:",
    "**b**",
    "`c`",
]


def dangers(body: str) -> list[str]:
    """The raw constructs in a Markdown body that are not escaped (a backslash before)."""
    return [r for r in RAW if re.search(r"(?<!\\)" + re.escape(r), body)]


def markdown_bodies(at) -> list[str]:
    out = []
    for kind in ("markdown", "caption", "info", "warning", "error", "success", "title"):
        out += [e.value for e in getattr(at, kind)]
    return out


def create(question="Pick η", unlock=("lr",), names=False, metric="loss", secrets=None):
    at = page(secrets=secrets)
    at.text_area(key="cls_question").set_value(question)
    at.button_group(key="cls_unlock").set_value(list(unlock))
    if names:
        at.checkbox(key="cls_allow_names").check()
    at.radio(key="cls_metric").set_value(metric)
    at.button(key="cls_create").click().run()
    assert not at.exception, [e.value for e in at.exception]
    return at, qp(at, "room"), qp(at, "tk")


def student(code, **extra):
    return page({"room": code, **extra})


def test_teacher_creates_a_student_sends_and_the_board_shows_it(data_dir):
    board, code, token = create(question=NASTY, names=True)
    assert codes.normalize_code(code) == code and len(token) >= 32
    assert board.title[0].value.endswith(code)
    assert board.get("imgs") or board.get("image")  # the QR code
    s = student(code)
    sid = qp(s, "me")
    assert codes.valid_student_id(sid)  # the student's id went into their link
    assert qp(s, "opt") == "adam,lr:0.05"
    s.text_input(key="cls_nick").set_value(NICKS[2])
    s.select_slider(key="cls_lr").set_value(0.01).run()
    assert qp(s, "opt") == "adam,lr:0.01"
    s.button(key="cls_send").click().run()
    assert not s.exception
    assert s.success and "#1" in s.success[0].value, [w.value for w in s.warning]
    for body in markdown_bodies(s) + markdown_bodies(board):
        assert not dangers(body), (body, dangers(body))
    board.run()
    assert [m.value for m in board.metric][:2] == ["1", "1"]
    spec = json.loads(board.get("plotly_chart")[0].proto.spec)
    assert spec["layout"]["meta"]["ids"] == [[1, 1]]
    # the same student again (a reload: same link, new session): the same submission, replaced
    again = student(code, me=sid, opt="adam,lr:0.1")
    assert again.select_slider(key="cls_lr").value == 0.1
    import time

    time.sleep(2.1)
    again.button(key="cls_send").click().run()
    assert "#1" in again.success[0].value and "(version 2)" in again.success[0].value
    store = ui.get_store()
    exp = store.experiment(code)
    subs = store.board(exp.id).submissions
    assert len(subs) == 1 and subs[0].lr == 0.1 and subs[0].nickname == NICKS[2][:20]


def test_locked_settings_stay_the_teachers_whatever_the_link_says(data_dir):
    _, code, _ = create(unlock=("lr",))
    s = student(code, opt="gd,lr:0.2,beta1:0.5", steps="100000", surface="rosenbrock")
    assert qp(s, "opt") == "adam,lr:0.2"  # η is free, the optimizer is not
    assert any("fixed" in w.value for w in s.warning)
    assert "ellipse" in " ".join(markdown_bodies(s)).lower()
    s.button(key="cls_send").click().run()
    sub = ui.get_store().board(ui.get_store().experiment(code).id).submissions[0]
    assert sub.optimizer == "adam" and sub.lr == 0.2 and sub.settings["steps"] == "500"
    assert sub.settings["surface"] == "ellipse"


def test_a_student_may_pick_the_optimizer_when_it_is_open(data_dir):
    _, code, _ = create(unlock=("optimizer", "lr", "hypers"))
    s = student(code)
    s.selectbox(key="cls_opt").set_value("momentum").run()
    assert qp(s, "opt").startswith("momentum")
    s.button(key="cls_send").click().run()
    assert s.success
    assert ui.get_store().board(ui.get_store().experiment(code).id).submissions[0].optimizer == (
        "momentum")  # fmt: skip


@pytest.mark.parametrize("room", ["<script>", "abc", "ABCDEFG", "!!!!!!", "%00", "IIIIII"])
def test_malformed_room_codes_get_a_clear_page(data_dir, room):
    at = student(room)
    assert at.error and "not a room code" in at.error[0].value
    assert not dangers(at.error[0].value)
    assert not at.get("plotly_chart")


def test_unknown_and_expired_rooms_and_wrong_tokens(data_dir):
    _board, code, token = create()
    free = next(c for c in ("ABCDEF", "BCDEFG", "CDEFGH") if c != code)
    at = student(free)
    assert at.error and "no open experiment" in at.error[0].value
    at = student(code.lower())  # typed in lower case: the same room
    assert at.title[0].value == "Class experiment" and not at.error
    wrong = page({"room": code, "tk": token[:-2] + "xx"})
    assert wrong.error and "not valid" in wrong.error[0].value
    assert not wrong.get("plotly_chart") and not wrong.sidebar.get("toggle")
    assert page({"room": code, "tk": ""}).error
    store = ui.get_store()
    with store.engine.begin() as c:
        c.execute(update(experiments).values(expires_at=1.0))
    assert "no open experiment" in student(code).error[0].value
    assert "no open experiment" in page({"room": code, "tk": token}).error[0].value


def test_guessing_room_codes_is_rate_limited(data_dir):
    _, code, _ = create()
    for i in range(ui.LIMITER.limit):
        at = student(f"ZZZZ{codes.ALPHABET[i]}{codes.ALPHABET[i]}")
        assert "no open experiment" in at.error[0].value
    at = student(code)  # even the right code now waits
    assert at.error and "Too many wrong room codes" in at.error[0].value
    ui.LIMITER._fails.clear()
    assert not student(code).error


def test_only_the_teacher_link_shows_the_controls_and_they_work(data_dir):
    board, code, _token = create(names=True)
    labels = [t.label for t in board.sidebar.get("toggle")]
    assert any("Take new runs" in x for x in labels)
    s = student(code)
    assert not s.sidebar.get("toggle") and not s.get("download_button")
    board.toggle(key="cls_open").set_value(False).run()
    store = ui.get_store()
    assert not store.experiment(code).is_open
    s.run()
    assert s.button(key="cls_send").disabled
    assert any("closed" in i.value for i in s.info)
    board.toggle(key="cls_open").set_value(True).run()
    s.run()
    s.button(key="cls_send").click().run()
    assert s.success
    board.checkbox(key="cls_sure").check().run()
    board.button(key="cls_clear").click().run()
    assert store.board(store.experiment(code).id).submissions == ()
    board.checkbox(key="cls_sure").check().run()
    board.button(key="cls_delete").click().run()
    assert store.experiment(code) is None


def test_hostile_nicknames_stay_plain_text_on_the_board_and_in_the_csv(data_dir):
    board, code, _token = create(names=True)
    store = ui.get_store()
    exp = store.experiment(code)
    for i, nick in enumerate([*NICKS, '=HYPERLINK("https://e.x")', "+1", "@SUM(A1)"]):
        store.submit(exp.id, codes.new_student_id(), settings={"opt": ["gd,lr:0.01"]},
                     optimizer="gd", lr=0.01 * (i + 1), final_loss=1.0 / (i + 1), hit=-1,
                     diverged_at=-1 if i % 2 else 10, nickname=nick,
                     path={"xy": [[-1.6, 1.2], [0, 0]], "frames": [[-1.6, 1.2], [0, 0]],
                           "frame_t": [0, 500]})  # fmt: skip
    board.toggle(key="cls_names").set_value(True).run()
    assert not board.exception
    texts = []
    for chart in board.get("plotly_chart"):
        spec = json.loads(chart.proto.spec)
        for tr in spec["data"]:
            texts += [x for x in tr.get("text") or [] if isinstance(x, str)]
            texts.append(str(tr.get("name", "")))
    joined = "\n".join(texts)
    assert "&lt;img src=x onerror=a" in joined  # 20 characters of it, as text
    assert "<img" not in joined and "<a " not in joined
    for body in markdown_bodies(board):
        assert not dangers(body), body
    table = board.dataframe[0].value
    names = set(table[table.columns[1]])
    assert {NICKS[1][:20], NICKS[3][:20], "@SUM(A1)"} <= names  # shown as typed
    data = ui._csv(exp.id, True, "en").decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(data)))
    cells = [r[0] for r in rows[1:]]
    assert "'=HYPERLINK(\"https://" in cells and "'+1" in cells and "'@SUM(A1)" in cells
    assert not any(c[:1] in "=+-@" for c in cells)


def test_sending_twice_within_two_seconds_is_refused_with_a_message(data_dir):
    _, code, _ = create()
    s = student(code)
    s.button(key="cls_send").click().run()
    assert s.success
    s.button(key="cls_send").click().run()
    assert not s.success and s.warning and "less than 2 s" in s.warning[-1].value


def test_the_board_in_chinese(data_dir):
    _board, code, token = create()
    zh = page({"room": code, "tk": token, "lang": "zh"})
    assert "课堂实验" in zh.title[0].value
    assert "已加入" in next(m.label for m in zh.metric)
    st_zh = student(code, lang="zh")
    assert "老师固定的设置" in " ".join(markdown_bodies(st_zh))


def test_st_connection_sql_in_secrets_puts_the_experiments_in_postgresql(data_dir, postgres):
    url = postgres.new_database()
    os.environ.pop("DATABASE_URL", None)
    ui.get_store.clear()
    _, code, _ = create(secrets={"connections": {"sql": {"url": url}}})
    other = Store(url)
    assert other.experiment(code) is not None  # it is in PostgreSQL, not in the SQLite file
    assert not (data_dir / "class.db").exists()
    other.engine.dispose()


def test_a_database_that_cannot_be_reached_gets_a_clear_message(data_dir, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgresql://esl@127.0.0.1:1/none")
    ui.get_store.clear()
    at = student("ABCDEF")
    assert at.error and "cannot be reached" in at.error[0].value
    at = page()
    at.button(key="cls_create").click().run()
    assert not at.exception and "cannot be reached" in at.error[0].value


def test_a_hand_edited_student_id_gets_a_fresh_one(data_dir):
    _, code, _ = create()
    for bad in ("../../etc/passwd", "x" * 400, "<b>", ""):
        at = student(code, me=bad)
        assert not at.exception and codes.valid_student_id(qp(at, "me")) and qp(at, "me") != bad


def test_a_start_where_the_loss_is_not_defined_is_refused_with_a_message(data_dir):
    """The room's formula has no loss at its start: the engine's run never starts (its loss
    would be a stand-in 0.0), so the page says why and nothing reaches the board."""
    from lab import urlstate
    from lab.classroom.experiment import experiment_query
    from lab.plaintext import md_unliteral

    s, warnings = urlstate.parse({"surface": "custom", "f": "sqrt(x) + y^2", "x": "-1", "y": "0.5",
                                  "opt": "adam,lr:0.05"})  # fmt: skip
    assert not warnings
    ui.get_store().migrate()
    exp, _ = ui.get_store().create_experiment(experiment_query(s), unlocked=["lr"])
    st_ = student(exp.code)
    st_.button(key="cls_send").click().run()
    assert not st_.exception and not st_.success
    assert "not defined at the start (-1, 0.5)" in md_unliteral(st_.warning[-1].value)
    assert ui.get_store().my_submission(exp.id, qp(st_, "me")) is None
