// Error Surface Lab's chart: a Plotly figure drawn with plotly.js's "basic" bundle (scatter,
// bar, pie: 1.2 MB, vendored next to this file) instead of the 4.7 MB bundle behind
// st.plotly_chart, and an animation that touches only what moves. lab/chart.py explains why.
//
// The data is a JSON string (lab/chart.py): {figure: {data, layout}, config, anim?}.
// anim = {traces: [trace index…], names: [frame name…], x: [[per frame]…], y: […],
//         trail: [points behind the head…], labels: {play, slow, pause, prefix}, ms: {play, slow}}
// During ▶ Play the moving traces are drawn in an SVG overlay (a path and a circle per trace,
// a few attributes a frame); when the animation stops, Plotly's own traces are set to the frame
// shown (one Plotly.restyle), so hover, legend clicks and "download as PNG" see it.

const PLOTLY_URL = new URL("./plotly-basic-4.1.1.min.js", import.meta.url).href;
const SVG = "http://www.w3.org/2000/svg";
let plotlyLoading = null;
let lib = null; // the plotly.js this module draws with, once loaded (st.plotly_chart's, on the
// class page, is another one: each chart is drawn and redrawn by the same one)
let drawQueue = Promise.resolve(); // charts draw one after another, with a paint in between

function loadPlotly() {
  if (lib) return Promise.resolve(lib);
  if (window.Plotly) return Promise.resolve((lib = window.Plotly));
  if (!plotlyLoading) {
    plotlyLoading = new Promise((resolve, reject) => {
      const add = () => {
        const s = document.createElement("script"); // a classic script: CSP script-src 'self'
        s.src = PLOTLY_URL;
        s.async = true;
        s.onload = () => resolve((lib = window.Plotly));
        s.onerror = () => reject(new Error(`could not load ${PLOTLY_URL}`));
        document.head.appendChild(s);
      };
      // the page's preload (lab/chart.py, preload) may be on its way: wait for it, not twice
      const early = document.querySelector("script[data-esl-plotly]");
      if (!early) return add();
      let added = false;
      const fallback = () => {
        if (window.Plotly) resolve((lib = window.Plotly));
        else if (!added) {
          added = true;
          add();
        }
      };
      early.addEventListener("load", fallback);
      early.addEventListener("error", fallback);
      setTimeout(() => window.Plotly && resolve((lib = window.Plotly)), 0);
      setTimeout(fallback, 15000); // (an error before we listened)
    });
  }
  return plotlyLoading;
}

loadPlotly(); // as soon as this module is evaluated
performance.mark("esl-module"); // (marks for bench/bench_page.py and DevTools' timeline)

const nextPaint = () => new Promise((r) => requestAnimationFrame(() => setTimeout(r, 0)));

const CSS = `
.esl-chart { position: relative; width: 100%; }
.esl-plot { position: relative; width: 100%; }
.esl-overlay { position: absolute; left: 0; top: 0; pointer-events: none; overflow: visible; }
.esl-controls { display: flex; flex-wrap: wrap; align-items: center; gap: 0.5rem;
  margin: 0.25rem 0 0.5rem 0; font-size: 0.95rem; }
.esl-controls button { min-height: 2.5rem; min-width: 3rem; padding: 0.25rem 0.9rem;
  border: 1px solid rgba(49, 51, 63, 0.3); border-radius: 0.5rem; background: #fff;
  color: inherit; font: inherit; cursor: pointer; touch-action: manipulation; }
.esl-controls button:hover { border-color: #0072B2; color: #0072B2; }
.esl-controls input[type=range] { flex: 1 1 12rem; min-width: 8rem; height: 2.5rem;
  accent-color: #0072B2; touch-action: pan-y; }
.esl-controls output { min-width: 6.5rem; font-variant-numeric: tabular-nums; }
`;

function addStyle() {
  if (document.getElementById("esl-chart-style")) return;
  const el = document.createElement("style");
  el.id = "esl-chart-style";
  el.textContent = CSS;
  document.head.appendChild(el);
}

function el(tag, cls, parent) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (parent) parent.appendChild(e);
  return e;
}

function svg(tag, attrs, parent) {
  const e = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
  if (parent) parent.appendChild(e);
  return e;
}

// -- the animation ------------------------------------------------------------------------
class Animation {
  constructor(state, anim) {
    this.s = state;
    this.a = anim;
    this.frame = 0;
    this.playing = false;
    this.raf = 0;
    this.overlay = null;
    this.syncing = null;
    this.buildControls();
  }

  get gd() {
    return this.s.gd;
  }

  buildControls() {
    const { labels } = this.a;
    const c = this.s.controls;
    c.replaceChildren();
    c.hidden = false;
    const play = el("button", "esl-play", c);
    play.type = "button";
    play.textContent = labels.play;
    play.onclick = () => this.play(this.a.ms.play);
    const slow = el("button", "esl-slow", c);
    slow.type = "button";
    slow.textContent = labels.slow;
    slow.onclick = () => this.play(this.a.ms.slow);
    const pause = el("button", "esl-pause", c);
    pause.type = "button";
    pause.textContent = labels.pause;
    pause.onclick = () => this.stop();
    const range = el("input", "esl-scrub", c);
    range.type = "range";
    range.min = "0";
    range.max = String(this.a.names.length - 1);
    range.step = "1";
    range.value = "0";
    range.setAttribute("aria-label", labels.prefix.trim());
    range.oninput = () => {
      if (this.playing) this.halt();
      this.show(Number(range.value), true);
    };
    range.onchange = () => this.settle();
    this.range = range;
    this.out = el("output", "esl-t", c);
    this.label();
  }

  label() {
    this.range.value = String(this.frame);
    this.out.textContent = `${this.a.labels.prefix}${this.a.names[this.frame]}`;
  }

  // The overlay: one SVG over the plot, a clip path per subplot, a path + circle per trace.
  ensureOverlay() {
    const fl = this.gd._fullLayout;
    if (!this.overlay) {
      this.overlay = svg("svg", { class: "esl-overlay" }, this.s.plot);
      this.defs = svg("defs", {}, this.overlay);
      this.items = this.a.traces.map((ti) => {
        const g = svg("g", {}, this.overlay);
        return { ti, g, path: svg("path", { fill: "none" }, g), head: svg("circle", {}, g) };
      });
    }
    this.overlay.setAttribute("width", fl.width);
    this.overlay.setAttribute("height", fl.height);
    this.defs.replaceChildren();
    this.items.forEach((it, n) => {
      const tr = this.gd._fullData[it.ti];
      it.xa = fl[(tr.xaxis || "x").replace("x", "xaxis")];
      it.ya = fl[(tr.yaxis || "y").replace("y", "yaxis")];
      const clip = `esl-clip-${this.s.uid}-${n}`;
      const cp = svg("clipPath", { id: clip }, this.defs);
      svg("rect", { x: it.xa._offset, y: it.ya._offset, width: it.xa._length,
                    height: it.ya._length }, cp);
      it.g.setAttribute("clip-path", `url(#${clip})`);
      it.g.style.display = tr.visible === true ? "" : "none";
      const line = tr.line || {};
      const m = tr.marker || {};
      const ml = m.line || {};
      const size = Array.isArray(m.size) ? m.size[m.size.length - 1] : m.size || 10;
      const color = m.color || line.color || "#333";
      it.path.setAttribute("stroke", line.color || color);
      it.path.setAttribute("stroke-width", this.a.trail[n] > 0 ? line.width || 2 : 0);
      it.path.setAttribute("stroke-linejoin", "round");
      it.head.setAttribute("r", size / 2);
      it.head.setAttribute("fill", Array.isArray(color) ? color[color.length - 1] : color);
      it.head.setAttribute("stroke", ml.color || "white");
      it.head.setAttribute("stroke-width", ml.width || 0);
    });
  }

  px(it, v, axis) {
    const ax = axis === "x" ? it.xa : it.ya;
    return ax._offset + ax.c2p(ax.d2c(v));
  }

  drawOverlay(k) {
    const { x, y, trail } = this.a;
    this.items.forEach((it, n) => {
      const xs = x[n];
      const ys = y[n];
      if (xs[k] === null || ys[k] === null || xs[k] === undefined) {
        it.head.setAttribute("visibility", "hidden");
        it.path.setAttribute("d", "");
        return;
      }
      const hx = this.px(it, xs[k], "x");
      const hy = this.px(it, ys[k], "y");
      it.head.setAttribute("visibility", "visible");
      it.head.setAttribute("cx", hx);
      it.head.setAttribute("cy", hy);
      if (trail[n] > 0) {
        let d = "";
        for (let j = Math.max(0, k - trail[n]); j < k; j++) {
          if (xs[j] === null || ys[j] === null) continue;
          d += `${d ? "L" : "M"}${this.px(it, xs[j], "x")},${this.px(it, ys[j], "y")}`;
        }
        it.path.setAttribute("d", d ? `${d}L${hx},${hy}` : "");
      }
    });
  }

  // Plotly's own nodes of the moving traces: hidden while the overlay draws them.
  plotlyNodes() {
    const want = new Set(this.a.traces);
    const out = [];
    for (const g of this.gd.querySelectorAll(".scatterlayer .trace")) {
      const cd = g.__data__;
      const tr = cd && cd[0] && cd[0].trace;
      if (tr && want.has(tr.index)) out.push(g);
    }
    return out;
  }

  useOverlay(on) {
    if (on) this.ensureOverlay();
    if (this.overlay) this.overlay.style.display = on ? "" : "none";
    for (const g of this.plotlyNodes()) g.style.visibility = on ? "hidden" : "";
  }

  show(k, overlay) {
    this.frame = Math.max(0, Math.min(k, this.a.names.length - 1));
    if (overlay) {
      if (!this.overlayOn) {
        this.useOverlay(true);
        this.overlayOn = true;
      }
      this.drawOverlay(this.frame);
    }
    this.label();
    this.gd.dispatchEvent(new CustomEvent("esl-frame", { detail: this.frame }));
  }

  play(ms) {
    if (this.playing) this.halt();
    if (this.frame >= this.a.names.length - 1) this.frame = 0;
    this.playing = true;
    this.show(this.frame, true);
    let last = performance.now();
    const step = (now) => {
      if (!this.playing) return;
      // like plotly.js: the next frame on the first screen refresh ≥ ms after the last one
      if (now - last >= ms) {
        last = now;
        this.show(this.frame + 1, true);
        if (this.frame >= this.a.names.length - 1) {
          this.stop();
          return;
        }
      }
      this.raf = requestAnimationFrame(step);
    };
    this.raf = requestAnimationFrame(step);
  }

  halt() {
    this.playing = false;
    cancelAnimationFrame(this.raf);
  }

  stop() {
    this.halt();
    this.settle();
  }

  // Plotly's traces take the frame shown; then the overlay goes.
  settle() {
    if (!this.overlayOn) return;
    const k = this.frame;
    const P = lib;
    const data = this.a.traces.map((ti, n) => {
      const t = this.a.trail[n];
      const lo = Math.max(0, k - t);
      const x = this.a.x[n].slice(lo, k + 1);
      const y = this.a.y[n].slice(lo, k + 1);
      if (t === 0) return { x, y };
      const m = (this.gd.data[ti] && this.gd.data[ti].marker) || {};
      const head = Array.isArray(m.size) ? m.size[m.size.length - 1] : m.size;
      return { x, y, marker: { size: x.map((_, j) => (j === x.length - 1 ? head : 0)) } };
    });
    // one frame the way plotly.js's animation sets it: no redraw, the axes' ranges kept
    const done = P.animate(this.gd, [{ data, traces: this.a.traces }], {
      frame: { duration: 0, redraw: false }, transition: { duration: 0 }, mode: "immediate",
    });
    this.syncing = Promise.resolve(done).then(() => {
      this.overlayOn = false;
      if (!this.playing) this.useOverlay(false);
    });
  }

  reset() {
    this.halt();
    if (this.overlayOn) for (const g of this.plotlyNodes()) g.style.visibility = "";
    this.frame = 0;
    this.overlayOn = false;
    if (this.overlay) this.overlay.remove();
    this.overlay = null;
  }
}

// -- one figure, two screens ------------------------------------------------------------------
// A figure may bring a layout for the other kind of screen (spec.alt, lab/figures.py with_alt:
// the layout keys and the traces that differ, its config, whether it is the narrow one): the
// chart draws the narrow layout when its own width is below spec.narrowBelow, the other one
// from there up, and changes when a resize crosses that width.  The server's layout (its guess
// from the request's User-Agent) is drawn while the width is not known (a hidden element).
function widthOf(state) {
  return state.plot.getBoundingClientRect().width || state.root.parentElement.clientWidth || 0;
}

function wantsAlt(state, spec) {
  if (!spec.alt) return false;
  const w = widthOf(state);
  if (!w) return false;
  return w < spec.narrowBelow === spec.alt.narrow;
}

function chosen(spec, alt) {
  if (!alt) {
    const narrow = spec.alt ? !spec.alt.narrow : false;
    return { data: spec.figure.data, layout: spec.figure.layout, config: spec.config, narrow,
             alt: false };
  }
  const layout = { ...spec.figure.layout };
  for (const [k, v] of Object.entries(spec.alt.layout)) {
    if (v === null) delete layout[k];
    else layout[k] = v;
  }
  const data = spec.figure.data.map((tr, i) => {
    const patch = spec.alt.data[String(i)];
    return patch ? { ...tr, ...patch } : tr;
  });
  return { data, layout, config: spec.alt.config, narrow: spec.alt.narrow, alt: true };
}

// -- the component --------------------------------------------------------------------------
async function draw(state, spec) {
  const P = await loadPlotly();
  performance.mark("esl-draw-start");
  const gd = state.gd;
  const fig = chosen(spec, wantsAlt(state, spec));
  state.alt = fig.alt;
  state.root.classList.toggle("esl-narrow", fig.narrow);
  const layout = { ...fig.layout, autosize: true };
  delete layout.width;
  state.plot.style.minHeight = layout.height ? `${layout.height}px` : "";
  const font = getComputedStyle(state.root);
  layout.font = { family: font.fontFamily, color: font.color, ...(layout.font || {}) };
  // (st.plotly_chart drew with Streamlit's template; without one plotly.js draws zero lines
  // as dark as the axes: light grey ones, as before)
  // ticklabeloverflow "allow": plotly.js otherwise measures every tick label (a forced layout
  // each) to hide those past the chart's edge — a fifth of the race chart's drawing, and the
  // layouts' margins keep every label inside
  const axis = { zerolinecolor: "#d9d9d9", gridcolor: "#ebebeb", linecolor: "#c8c8c8",
                 ticklabeloverflow: "allow" };
  layout.template = layout.template || { layout: { xaxis: axis, yaxis: axis } };
  // (the same figure laid out anew for another width keeps the frame it showed)
  const keep = state.anim && state.anim.a === spec.anim ? state.anim.frame : 0;
  if (state.anim) state.anim.reset();
  await (gd._fullLayout ? P.react : P.newPlot)(gd, fig.data, layout, fig.config);
  state.anim = spec.anim ? new Animation(state, spec.anim) : null;
  if (state.anim && keep > 0) {
    state.anim.show(keep, true);
    state.anim.settle();
  }
  if (!spec.anim) state.controls.hidden = true;
  if (!state.listening) {
    state.listening = true;
    gd.on("plotly_click", (ev) => {
      const p = ev && ev.points && ev.points[0];
      if (!p || !state.setTrigger) return;
      state.setTrigger("click", { x: p.x, y: p.y, curve_number: p.curveNumber,
                                  point_number: p.pointNumber });
    });
    const redo = () => {
      const a = state.anim;
      if (a && a.overlay) {
        a.ensureOverlay();
        if (a.overlayOn) {
          a.useOverlay(true); // (a redraw made Plotly's moving traces anew: hidden again)
          a.drawOverlay(a.frame);
        }
      }
    };
    gd.on("plotly_relayout", redo);
    gd.on("plotly_restyle", redo);
    state.resize = new ResizeObserver(() => {
      // (not while the plot is hidden, e.g. in a closed tab or leaving the page)
      if (!gd._fullLayout || !gd.isConnected || gd.offsetParent === null) return;
      if (state.spec && wantsAlt(state, state.spec) !== state.alt) {
        redrawFor(state); // narrower or wider than its layout holds: the other layout
        return;
      }
      P.Plots.resize(gd).then(redo, () => {});
    });
    state.resize.observe(state.plot);
  }
  gd._esl = {
    get names() { return state.anim ? state.anim.a.names : []; },
    get traces() { return state.anim ? state.anim.a.traces : []; },
    get frame() { return state.anim ? state.anim.frame : 0; },
    get playing() { return !!(state.anim && state.anim.playing); },
    // where trace n of the animated ones is at the frame shown (data coordinates)
    head(n) {
      const a = state.anim;
      return a ? [a.a.x[n][a.frame], a.a.y[n][a.frame]] : null;
    },
    drawn: state.drawn = (state.drawn || 0) + 1,
    narrow: fig.narrow, // the narrow layout drawn (lab/figures.py, COMPACT)
  };
  performance.mark("esl-draw-end");
  gd.dispatchEvent(new CustomEvent("esl-drawn"));
}

function redrawFor(state) {
  if (state.relayout) return; // (one is on its way: it reads the width when it draws)
  const spec = state.spec;
  state.relayout = true;
  drawQueue = drawQueue
    .then(() => {
      state.relayout = false;
      // (the data may have changed since: then that draw lays it out)
      if (state.spec === spec && wantsAlt(state, spec) !== state.alt) return draw(state, spec);
    })
    .then(nextPaint)
    .catch((e) => console.error("esl chart:", e));
}

let uids = 0;

// The page waits for this chart before it sends the rest (lab/chart.py, waits_for_chart): its
// data starts with NOTIFY, and the chart says "drawn" once it is (or could not be).
const NOTIFY = "drawn?";

function tellDrawn(state) {
  if (!state.notify || state.notified || !state.setTrigger) return;
  state.notified = true;
  state.setTrigger("drawn", true);
}

export default function (component) {
  const { parentElement, setTriggerValue } = component;
  let { data } = component;
  performance.mark("esl-mount");
  addStyle();
  let state = parentElement.__esl;
  if (!state) {
    const root = el("div", "esl-chart", parentElement);
    const plot = el("div", "esl-plot", root);
    const gd = el("div", "", plot);
    const controls = el("div", "esl-controls", root);
    controls.hidden = true;
    state = { root, plot, gd, controls, uid: ++uids, raw: null, anim: null };
    parentElement.__esl = state;
  }
  state.setTrigger = setTriggerValue;
  if (typeof data === "string" && data.startsWith(NOTIFY)) {
    data = data.slice(NOTIFY.length);
    state.notify = true;
  }
  if (data !== state.raw) {
    state.raw = data;
    const spec = typeof data === "string" ? JSON.parse(data) : data;
    state.spec = spec;
    const height = chosen(spec, wantsAlt(state, spec)).layout.height; // (room before it draws)
    state.plot.style.minHeight = height ? `${height}px` : "";
    drawQueue = drawQueue
      .then(() => draw(state, spec))
      .catch((e) => console.error("esl chart:", e))
      .then(nextPaint) // (on the screen before the rest of the page takes the main thread)
      .then(() => tellDrawn(state)); // (drawn or not: the page must come)
  } else if (state.gd._fullLayout) {
    tellDrawn(state);
  }
  return () => {
    if (state.anim) state.anim.halt();
    if (state.resize) state.resize.disconnect();
    if (lib && state.gd) lib.purge(state.gd);
    parentElement.__esl = null;
    state.root.remove();
  };
}
