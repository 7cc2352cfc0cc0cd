// Error Surface Lab's chart: a Plotly figure drawn with plotly.js's "basic" bundle (scatter,
// bar, pie: 1.2 MB, vendored next to this file) instead of the 4.7 MB bundle behind
// st.plotly_chart, and an animation that touches only what moves. lab/chart.py explains why.
//
// The data is a JSON string (lab/chart.py): {figure: {data, layout}, config, anim?}.
// anim = {traces: [trace index…], names: [frame name…], x: [[per frame]…], y: […],
//         trail: [points behind the head…], shape: [whole polyline per frame?…],
//         labels: {play, slow, pause, prefix}, ms: {play, slow}}
// A 3-D figure (spec.gl3d: lab/figure3d.py) is drawn with plotly.js's gl3d bundle, loaded for it
// alone; its anim has z too, and Play moves its markers as circles in the overlay, projected
// with the scene's camera (move3d / drawOverlay3d below).
// A "shape" trace (an arrow, a box: meta {moving: "shape"}) has in x[n][k] the whole polyline
// of frame k (null: a gap between strokes); the others have the head's point, and the trail is
// the points of the frames before.
// During ▶ Play the moving traces are drawn in an SVG overlay (a path and a circle per trace,
// a few attributes a frame); when the animation stops, Plotly's own traces are set to the frame
// shown (one Plotly.restyle), so hover, legend clicks and "download as PNG" see it.

const PLOTLY_URL = new URL("./plotly-basic-4.1.1.min.js", import.meta.url).href;
// plotly.js's gl3d bundle (surface, scatter3d): loaded only when a figure has a 3-D scene
// (spec.gl3d; lab/figure3d.py), never for the 2-D pages
const GL3D_URL = new URL("./plotly-gl3d-4.1.1.min.js", import.meta.url).href;
let gl3dLoading = null;
// the camera a visitor set on a 3-D chart, by the chart's key: kept when the chart is made anew
// (uirevision keeps it while the chart stays)
const cameras = new Map();
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

// Both bundles set window.Plotly: the gl3d one is taken as it loads and window.Plotly given back
// (a classic script's load event comes in the same task as its evaluation: nothing runs
// between), so each chart is drawn and redrawn by the bundle it started with.
function loadGl3d() {
  if (!gl3dLoading) {
    gl3dLoading = new Promise((resolve, reject) => {
      const before = window.Plotly;
      const s = document.createElement("script"); // a classic script: CSP script-src 'self'
      s.src = GL3D_URL;
      s.async = true;
      s.onload = () => {
        const gl3d = window.Plotly;
        if (before === undefined) delete window.Plotly;
        else window.Plotly = before;
        if (gl3d && gl3d !== before) resolve(gl3d);
        else reject(new Error(`${GL3D_URL} did not define Plotly`));
      };
      s.onerror = () => reject(new Error(`could not load ${GL3D_URL}`));
      document.head.appendChild(s);
    });
    gl3dLoading.catch(() => (gl3dLoading = null)); // (tried again by the next 3-D chart)
  }
  return gl3dLoading;
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

// plotly.js's dashes (src/components/drawing, dashStyle): the overlay draws a line as Plotly does
function dashStyle(dash, lineWidth) {
  const dlw = Math.max(+lineWidth || 1, 3);
  const styles = {
    solid: "",
    dot: `${dlw}px,${dlw}px`,
    dash: `${3 * dlw}px,${3 * dlw}px`,
    longdash: `${5 * dlw}px,${5 * dlw}px`,
    dashdot: `${3 * dlw}px,${dlw}px,${dlw}px,${dlw}px`,
    longdashdot: `${5 * dlw}px,${2 * dlw}px,${dlw}px,${2 * dlw}px`,
  };
  if (dash === undefined || dash === null) return "";
  return dash in styles ? styles[dash] : String(dash); // (or a length list, e.g. "5px,10px")
}

// a × b, 4 × 4 matrices in WebGL's order (column by column)
function mul4(a, b) {
  const out = new Array(16);
  for (let c = 0; c < 4; c++) {
    for (let r = 0; r < 4; r++) {
      out[c * 4 + r] = a[r] * b[c * 4] + a[4 + r] * b[c * 4 + 1] + a[8 + r] * b[c * 4 + 2] +
        a[12 + r] * b[c * 4 + 3];
    }
  }
  return out;
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
    // a 3-D scene: each frame moves the markers' points (no overlay: WebGL draws them)
    this.three = !!anim.z;
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
      it.shape = !!(this.a.shape && this.a.shape[n]);
      it.path.setAttribute("stroke", line.color || color);
      const width = line.width === undefined ? 2 : line.width;
      it.path.setAttribute("stroke-width", this.a.trail[n] > 0 || it.shape ? width : 0);
      it.path.setAttribute("stroke-linejoin", "round");
      if (it.shape) {
        it.path.setAttribute("stroke-dasharray", dashStyle(line.dash, width) || "none");
        it.g.setAttribute("opacity", tr.opacity === undefined ? 1 : tr.opacity);
        it.head.setAttribute("visibility", "hidden");
        return;
      }
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
      if (it.shape) {
        it.path.setAttribute("d", this.polyline(it, xs[k], ys[k]));
        return;
      }
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

  // A shape's path: "M" at its first point and after each gap (null), "L" to the next.
  polyline(it, xs, ys) {
    if (!xs || !ys) return "";
    let d = "";
    let pen = false;
    for (let j = 0; j < xs.length; j++) {
      if (xs[j] === null || ys[j] === null || xs[j] === undefined || ys[j] === undefined) {
        pen = false;
        continue;
      }
      d += `${pen ? "L" : "M"}${this.px(it, xs[j], "x")},${this.px(it, ys[j], "y")}`;
      pen = true;
    }
    return d;
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

  // One frame of a 3-D scene: the markers' WebGL objects get their new point, and the scene
  // redraws on its next refresh (plotly.js's own render loop).  Not Plotly.restyle: that
  // recomputes the whole scene (the surface's mesh, the axes' text rasterized anew), ~0.4 s a
  // frame in software GL.  The figure's data is set to the frame too (no redraw), so hover, a
  // later redraw and "download as PNG" see the frame shown.
  move3d(k) {
    const gd = this.gd;
    const scene = gd._fullLayout && gd._fullLayout.scene && gd._fullLayout.scene._scene;
    if (!scene) return;
    const { x, y, z, traces } = this.a;
    traces.forEach((ti, n) => {
      const at = (v) => (v[n][k] === null || v[n][k] === undefined ? [] : [v[n][k]]);
      const point = { x: at(x), y: at(y), z: at(z) };
      for (const tr of [gd.data[ti], gd._fullData[ti]]) if (tr) Object.assign(tr, point);
      const full = gd._fullData[ti];
      const obj = full && scene.traces[full.uid];
      if (obj && obj.data) obj.update({ ...obj.data, ...point });
    });
  }

  // A 3-D scene during Play: each run's marker is a circle in the overlay, placed where the
  // scene's camera projects its point (the matrices WebGL drew the scene with), so a frame
  // redraws nothing in WebGL — a redraw of the scene is the surface's every triangle, in
  // software without a GPU.  (The circle is drawn over the surface even where a hill is in
  // front of the point.)  When Play stops, the WebGL markers take the frame shown.
  scene3d() {
    const fl = this.gd._fullLayout;
    return fl && fl.scene && fl.scene._scene;
  }

  ensureOverlay3d() {
    const sc = this.scene3d();
    if (!sc) return;
    const fl = this.gd._fullLayout;
    if (!this.overlay) {
      this.overlay = svg("svg", { class: "esl-overlay" }, this.s.plot);
      this.items = this.a.traces.map((ti) => ({ ti, head: svg("circle", {}, this.overlay) }));
    }
    this.overlay.setAttribute("width", fl.width);
    this.overlay.setAttribute("height", fl.height);
    const box = this.s.plot.getBoundingClientRect();
    const r = sc.glplot.canvas.getBoundingClientRect();
    this.view = { left: r.left - box.left, top: r.top - box.top, width: r.width, height: r.height };
    this.items.forEach((it) => {
      const tr = this.gd._fullData[it.ti] || {};
      const m = tr.marker || {};
      const ml = m.line || {};
      it.head.setAttribute("r", (m.size || 8) / 2 + 1);
      it.head.setAttribute("fill", m.color || "#333");
      it.head.setAttribute("stroke", ml.color || "white");
      it.head.setAttribute("stroke-width", ml.width || 0);
      it.head.style.display = tr.visible === true ? "" : "none";
    });
  }

  drawOverlay3d(k) {
    const sc = this.scene3d();
    if (!sc || !this.view) return;
    const cp = sc.glplot.cameraParams;
    const m = mul4(cp.projection, mul4(cp.view, cp.model));
    const s = sc.dataScale;
    const { x, y, z } = this.a;
    const v = this.view;
    this.items.forEach((it, n) => {
      const p = [x[n][k], y[n][k], z[n][k]];
      const w = p[0] === null || p[1] === null || p[2] === null ? 0 :
        m[3] * p[0] * s[0] + m[7] * p[1] * s[1] + m[11] * p[2] * s[2] + m[15];
      if (!(w > 0)) {
        it.head.setAttribute("visibility", "hidden");
        return;
      }
      const cx = (m[0] * p[0] * s[0] + m[4] * p[1] * s[1] + m[8] * p[2] * s[2] + m[12]) / w;
      const cy = (m[1] * p[0] * s[0] + m[5] * p[1] * s[1] + m[9] * p[2] * s[2] + m[13]) / w;
      it.head.setAttribute("visibility", "visible");
      it.head.setAttribute("cx", v.left + ((cx + 1) / 2) * v.width);
      it.head.setAttribute("cy", v.top + ((1 - cy) / 2) * v.height);
    });
  }

  // the WebGL markers hidden (the overlay shows them) or at the frame shown
  useOverlay3d(on) {
    if (on) {
      this.ensureOverlay3d();
      const sc = this.scene3d();
      for (const ti of this.a.traces) {
        const full = this.gd._fullData[ti];
        const obj = sc && full && sc.traces[full.uid];
        if (obj && obj.data) obj.update({ ...obj.data, x: [], y: [], z: [] });
      }
      if (this.overlay) this.overlay.style.display = "";
      return;
    }
    this.move3d(this.frame);
    // (the overlay goes once WebGL has drawn the markers: its next refresh)
    const overlay = this.overlay;
    requestAnimationFrame(() => requestAnimationFrame(() => {
      if (overlay && !this.overlayOn) overlay.style.display = "none";
    }));
  }

  show(k, overlay) {
    this.frame = Math.max(0, Math.min(k, this.a.names.length - 1));
    if (overlay && this.three) {
      if (!this.overlayOn) {
        this.useOverlay3d(true);
        this.overlayOn = true;
      }
      this.drawOverlay3d(this.frame);
    } else if (overlay) {
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
    if (this.three) {
      this.overlayOn = false;
      this.useOverlay3d(false);
      return;
    }
    const k = this.frame;
    const P = this.s.lib;
    const data = this.a.traces.map((ti, n) => {
      if (this.a.shape && this.a.shape[n]) {
        return { x: this.a.x[n][k] || [], y: this.a.y[n][k] || [] }; // the frame's polyline
      }
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
    if (this.overlayOn && this.three) this.move3d(this.frame);
    else if (this.overlayOn) for (const g of this.plotlyNodes()) g.style.visibility = "";
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
  const P = spec.gl3d ? await loadGl3d() : await loadPlotly();
  performance.mark("esl-draw-start");
  const gd = state.gd;
  if (state.lib && state.lib !== P && gd._fullLayout) {
    // drawn by the other bundle (a 2-D chart became 3-D or back): that one lets it go
    if (state.anim) state.anim.reset();
    state.anim = null;
    if (state.resize) state.resize.disconnect();
    state.lib.purge(gd);
    state.listening = false;
  }
  state.lib = P;
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
  const camera = cameras.get(state.key);
  if (spec.gl3d && camera) layout.scene = { ...(layout.scene || {}), camera };
  // (the same figure laid out anew for another width keeps the frame it showed)
  const keep = state.anim && state.anim.a === spec.anim ? state.anim.frame : 0;
  if (state.anim) state.anim.reset();
  let config = fig.config;
  if (spec.gl3d && config.plotGlPixelRatio === undefined) {
    // WebGL draws at the screen's pixels, not plotly.js's default of twice them: a 3-D frame
    // costs what its pixels cost (4× on a 1× screen, drawn in software without a GPU)
    config = { ...config, plotGlPixelRatio: Math.min(2, window.devicePixelRatio || 1) };
  }
  await (gd._fullLayout ? P.react : P.newPlot)(gd, fig.data, layout, config);
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
      if (a && a.overlay && a.three) {
        a.ensureOverlay3d();
        if (a.overlayOn) a.drawOverlay3d(a.frame);
      } else if (a && a.overlay) {
        a.ensureOverlay();
        if (a.overlayOn) {
          a.useOverlay(true); // (a redraw made Plotly's moving traces anew: hidden again)
          a.drawOverlay(a.frame);
        }
      }
    };
    gd.on("plotly_relayout", (ev) => {
      if (ev && ev["scene.camera"] && state.key !== undefined) {
        cameras.set(state.key, ev["scene.camera"]);
      }
      redo();
    });
    gd.on("plotly_restyle", redo);
    state.resize = new ResizeObserver(() => {
      // (not while the plot is hidden, e.g. in a closed tab or leaving the page)
      if (!gd._fullLayout || !gd.isConnected || gd.offsetParent === null) return;
      if (state.spec && wantsAlt(state, state.spec) !== state.alt) {
        redrawFor(state); // narrower or wider than its layout holds: the other layout
        return;
      }
      state.lib.Plots.resize(gd).then(redo, () => {});
    });
    state.resize.observe(state.plot);
  }
  gd._esl = {
    get names() { return state.anim ? state.anim.a.names : []; },
    get traces() { return state.anim ? state.anim.a.traces : []; },
    get frame() { return state.anim ? state.anim.frame : 0; },
    get playing() { return !!(state.anim && state.anim.playing); },
    // where trace n of the animated ones is at the frame shown (data coordinates)
    // (a shape's: its whole polyline, [xs, ys])
    head(n) {
      const a = state.anim;
      return a ? [a.a.x[n][a.frame], a.a.y[n][a.frame]] : null;
    },
    // the overlay's path of trace n of the animated ones ("" when none is drawn)
    overlayPath(n) {
      const a = state.anim;
      return a && a.items && a.items[n] ? a.items[n].path.getAttribute("d") || "" : "";
    },
    drawn: state.drawn = (state.drawn || 0) + 1,
    narrow: fig.narrow, // the narrow layout drawn (lab/figures.py, COMPACT)
    gl3d: !!spec.gl3d, // drawn by plotly.js's gl3d bundle
    // the scene's camera (a 3-D chart), as plotly.js has it now
    get camera() {
      const sc = gd._fullLayout && gd._fullLayout.scene && gd._fullLayout.scene._scene;
      return sc ? sc.getCamera() : null;
    },
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
  const { parentElement, setTriggerValue, key } = component;
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
  state.key = key;
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
    if (state.lib && state.gd) state.lib.purge(state.gd);
    parentElement.__esl = null;
    state.root.remove();
  };
}
