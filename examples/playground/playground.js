/* playground.js: the page over targetprop.h compiled to WebAssembly (playground.c).
   Plain JavaScript, no framework. The module arrives base64-encoded in targetprop-wasm.js
   (window.TP_WASM), so the page also works opened straight from disk. Training runs on the
   page's thread in slices of a few milliseconds, so the page never
   freezes (see the pump below). window.pg is what tests/playground.sh drives. */
'use strict';

const DATA = ['spirals', 'xor', 'circles', 'moons', 'spirals6', 'checker'];
const ACTS = ['tanh', 'relu', 'sigmoid'];
const SIDE_DEFAULTS = { rule: 'bp', schedule: 'parallel', lr: 0.003, ilr: 0.001, alpha: 0.1, sigma: 0.1, hybrid: 0, aux: 64,
                        decay: 0.0001 };
const DEFAULTS = { data: 'spirals', noise: 0, depth: 3, width: 64, act: 'tanh', batch: 64, seed: 1, compare: true,
                   a: { ...SIDE_DEFAULTS, rule: 'bp' }, b: { ...SIDE_DEFAULTS, rule: 'dtp' } };
const GRID = 48, LO = -1.5, HI = 1.5;                 /* decision regions: GRID x GRID over [LO, HI]^2 */
const SLICE_MS = 10;                                  /* training time per slice, both sides together */
const FRAME_WAIT_MS = 40;                             /* no animation frame for this long: training waits for one */
const REFRESH_MS = 100;                               /* loss, regions and diagnostics this often while playing */
const MAX_POINTS = 600;                               /* chart points kept per series */
const CLASS_RGB = [[31, 95, 168], [214, 95, 30], [46, 140, 70], [150, 60, 160], [200, 160, 0], [90, 90, 90]];
const SPEEDS = { full: 0, medium: 10, slow: 1 };      /* steps per animation frame; 0: as many as time allows */
/* a colour and a dash per layer: Okabe and Ito's colour-blind-safe eight, then two more, and four dashes */
const LAYER_COLORS = ['#0072b2', '#e69f00', '#009e73', '#cc79a7', '#56b4e9', '#d55e00', '#f0e442', '#000000',
                      '#8c564b', '#7f7f7f'];
const LAYER_DASHES = [[], [6, 3], [2, 2], [8, 3, 2, 3]];

/* What the page says of each rule, beside the library's one-line summary (tp_rule_info): its name
   in words, who published it and when, its update in the README's notation, and the path its
   error signal takes for the diagram: 'chain' back through each layer (by `via`), 'direct' from
   the output error to every hidden layer, 'label' from the label itself, 'targets' down through
   the inverses g. A rule added to the header and not here shows its summary alone. */
const RULE_TEXT = {
  bp: { words: 'backpropagation', who: 'Rumelhart, Hinton & Williams 1986', path: 'chain', via: 'Wᵀ',
        eq: 'δ_{l-1} = (W_lᵀ δ_l) ⊙ σ′(a_{l-1}),  ΔW_l ∝ −δ_l h_{l-1}ᵀ' },
  fa: { words: 'feedback alignment', who: 'Lillicrap, Cownden, Tweed & Akerman 2016', path: 'chain', via: 'B',
        eq: 'δ_{l-1} = (B_l δ_l) ⊙ σ′(a_{l-1}), B_l fixed and random: W comes to align with B' },
  dfa: { words: 'direct feedback alignment', who: 'Nøkland 2016', path: 'direct', via: 'D',
         eq: 'δ_l = (D_l e) ⊙ σ′(a_l), e = o − y, D_l fixed and random' },
  dtp: { words: 'difference target propagation', who: 'Lee, Zhang, Fischer & Bengio 2015', path: 'targets', via: 'g',
         eq: 'ĥ_{L-1} = h_{L-1} − α ∂L/∂h_{L-1},  ĥ_l = h_l − g_{l+1}(h_{l+1}) + g_{l+1}(ĥ_{l+1});  each layer steps toward ĥ_l' },
  sdtp: { words: 'simplified DTP', who: 'Bartunov, Santoro, Richards, Marris, Hinton & Lillicrap 2018', path: 'targets', via: 'g',
          eq: 'ĥ_{L-1} = h_{L-1} − g_L(o) + g_L(y): no gradient at all, the top target from the output inverse' },
  aosdtp: { words: 'augmented-output SDTP', who: 'Bartunov et al. 2018', path: 'targets', via: 'g',
            eq: 'ĥ_{L-1} = h_{L-1} − g_L(o, z) + g_L(y, z), z = tanh(W_z h_{L-1}) fixed random auxiliary outputs' },
  ss: { words: 'sign symmetry', who: 'Liao, Leibo & Poggio 2016', path: 'chain', via: 's·sign(W)ᵀ',
        eq: 'δ_{l-1} = (s_l sign(W_l)ᵀ δ_l) ⊙ σ′(a_{l-1}): only the signs of W travel back' },
  kp: { words: 'Kolen-Pollack', who: 'Akrout, Wilson, Humphreys, Lillicrap & Tweed 2019', path: 'chain', via: 'B',
        eq: 'δ_{l-1} = (B_l δ_l) ⊙ σ′(a_{l-1}), ΔB_l = ΔW_lᵀ and both decay: B and Wᵀ converge' },
  wm: { words: 'weight mirrors', who: 'Akrout, Wilson, Humphreys, Lillicrap & Tweed 2019', path: 'chain', via: 'B',
        eq: 'BP through B_l, which fits E[ξ (W_l ξ)ᵀ] / σ² = W_lᵀ from noise ξ sent through the layer' },
  drtp: { words: 'direct random target projection', who: 'Frenkel, Lefebvre & Bol 2021', path: 'label', via: 'D',
          eq: 'δ_l = (D_l y) ⊙ σ′(a_l): the label in place of the error, no error signal reaches the hidden layers' },
  fwdtp: { words: 'fixed-weight DTP', who: 'Shibuya, Inoue, Kawakami & Sato 2023', path: 'targets', via: 'g (fixed)',
           eq: 'DTP with each inverse g_l left at its random start' },
  ddtp: { words: 'direct DTP', who: 'Meulemans, Carzaniga, Suykens, Sacramento & Grewe 2020', path: 'direct', via: 'Q',
          eq: 'ĥ_l = h_l − α Q_l e; Q_l learns to map output changes back to layer l from noise' },
  dtpdrl: { words: 'DTP with the difference reconstruction loss', who: 'Meulemans et al. 2020', path: 'targets', via: 'g',
            eq: 'ĥ_L = a_L − α e, then the difference chain; g_l learns to return σε through the whole chain' },
  ldrl: { words: 'local difference reconstruction loss', who: 'Ernoult, Normandin, Moudgil et al. 2022', path: 'targets', via: 'G',
          eq: 'G_l(h) = V_lᵀ σ(h) + c_l learns a local reconstruction from noise, several steps a batch; targets as DTP' },
};

/* Lessons: a setting (changes to the defaults) and what to watch in it. */
const LESSONS = [
  { id: 'alignment', title: 'Feedback alignment: W comes to agree with B',
    set: { compare: false, a: { rule: 'fa' } },
    text: 'FA sends errors back through fixed random matrices B instead of Wᵀ. Watch the bottom chart: the angle ' +
          'between each layer\'s B and its W starts near 90° (unrelated) and falls as W learns to align with B, and ' +
          'with it the angle to the BP gradient.' },
  { id: 'signs', title: 'Sign symmetry: the signs of W are enough',
    set: { compare: true, a: { rule: 'ss' }, b: { rule: 'fa' } },
    text: 'Sign symmetry sends errors back through sign(W)ᵀ, FA through a fixed random B. Both learn the spirals; ' +
          'compare their angles to the BP gradient: with the signs of W, sign symmetry\'s stay far below FA\'s, ' +
          'which must wait for W to align with B.' },
  { id: 'deep-dtp', title: 'SDTP against DTP on a deeper net',
    set: { depth: 6, width: 48, compare: true, a: { rule: 'dtp' }, b: { rule: 'sdtp' } },
    text: 'Six hidden layers. DTP starts its targets from a gradient step at the top; SDTP uses no gradient at all, ' +
          'only the output inverse. Watch how the target distance and the angle to BP change with depth, and which ' +
          'side reaches 100% first.' },
  { id: 'hybrid', title: 'What the hybrid beta does',
    set: { compare: true, a: { rule: 'sdtp', hybrid: 0 }, b: { rule: 'sdtp', hybrid: 0.5 } },
    text: 'The same rule twice; on the right half of each hidden target comes from backprop (β = 0.5). The angles ' +
          'to the BP gradient fall on the right: the paper\'s hybrid shows how far targets are from gradients.' },
  { id: 'drtp', title: 'DRTP: learning with no error signal',
    set: { data: 'circles', compare: true, a: { rule: 'drtp' }, b: { rule: 'bp' } },
    text: 'DRTP projects the label itself, not the error, onto each hidden layer through fixed random matrices, so ' +
          'nothing about the output\'s mistakes reaches them. It still learns to classify most points, more slowly ' +
          'than BP beside it; its angles to BP stay far from 0, the first layer\'s near or past 90°.' },
  { id: 'ldrl', title: 'L-DRL\'s feedback learns toward backprop',
    set: { compare: true, a: { rule: 'ldrl' }, b: { rule: 'dtp' } },
    text: 'L-DRL trains its feedback several steps a batch to reconstruct differences locally; DTP trains its inverses ' +
          'once. Compare the angle charts: within a few hundred steps L-DRL\'s updates come within a few degrees of ' +
          'BP\'s, where DTP\'s stay near 60°; each of its steps costs more.' },
];

/* A lesson's link: the defaults with its changes. */
function lessonHash(lesson) {
  const s = decode('');
  for (const [k, v] of Object.entries(lesson.set)) {
    if (k === 'a' || k === 'b') Object.assign(s[k], v); else s[k] = v;
  }
  return encode(s);
}

function buildLessons() {
  const list = $('lessons');
  for (const lesson of LESSONS) {
    const li = document.createElement('li'), a = document.createElement('a'), p = document.createElement('p');
    a.href = lessonHash(lesson);
    a.textContent = lesson.title;
    a.dataset.lesson = lesson.id;
    p.textContent = lesson.text;
    li.append(a, p);
    list.appendChild(li);
  }
}

/* What each control does, for a "?" beside it (keyboard and touch alike). */
const HELP = {
  data: 'the 2-D points to classify: 1024 to train on and 1024 held out, every class alike; six spirals and the ' +
        'checkerboard are the harder ones',
  noise: 'each point moved by noise x N(0, 1): 0 is the clean data set',
  'speed-mode': 'full: as fast as the page can; slower: a few steps a frame, to watch a boundary form',
  depth: 'hidden layers between the 2 inputs and the class outputs',
  width: 'units in each hidden layer',
  act: 'the hidden layers\' activation σ',
  batch: 'points per training step; an epoch is 1024 / batch steps',
  seed: 'the random start: weights, feedback, shuffles, noise; the same seed gives the same run',
  lr: 'the forward weights\' learning rate (Adam)',
  schedule: 'parallel: forward weights and feedback train every step; alternating: whole epochs of each in turn',
  ilr: 'the learning rate of the learned feedback (the inverses g, Q or V)',
  alpha: 'DTP\'s step at the top: ĥ_{L-1} = h_{L-1} − α ∂L/∂h_{L-1}',
  sigma: 'the noise the learned feedback trains from: h + σε',
  hybrid: 'β mixes BP into the targets below the top: β = 1 is backprop, 0 pure target propagation',
  aux: 'AO-SDTP\'s fixed random auxiliary outputs z that widen the output its inverse reads',
  decay: 'Kolen-Pollack\'s weight decay, which both W and B take, so B forgets its start',
};

/* A small picture of the net (input, hidden layers, output) with the path of the rule's error
   signal in colour: an SVG string. */
function ruleDiagram(rule, hidden) {
  const t = RULE_TEXT[rule] || {}, n = Math.min(hidden, 6) + 2, W = 300, H = 64, gap = (W - 40) / (n - 1);
  const X = i => 20 + i * gap, yF = 18, yB = 50, col = '#d55e00';
  let svg = `<svg class="diagram" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="the path of ${escapeHtml(rule)}'s error signal: ${escapeHtml(t.path || 'unknown')}">`;
  svg += '<defs><marker id="arr-' + rule + '" viewBox="0 0 6 6" refX="5" refY="3" markerWidth="5" markerHeight="5" orient="auto">' +
         `<path d="M0,0 L6,3 L0,6 z" fill="${col}"/></marker></defs>`;
  for (let i = 0; i < n; i++) {
    const name = i === 0 ? 'x' : i === n - 1 ? 'o' : 'h' + i;
    svg += `<rect x="${X(i) - 11}" y="${yF - 9}" width="22" height="18" rx="3" fill="#fff" stroke="#888"/>` +
           `<text x="${X(i)}" y="${yF + 4}" text-anchor="middle" font-size="11">${name}</text>`;
    if (i > 0) svg += `<line x1="${X(i - 1) + 11}" y1="${yF}" x2="${X(i) - 11}" y2="${yF}" stroke="#aaa"/>`;
  }
  const arrow = (x1, x2, label, curve) => {
    const mid = (x1 + x2) / 2, cy = curve ? yB + 10 : yB;
    return `<path d="M${x1},${yF + 9} Q${mid},${cy + 4} ${x2},${yF + 9}" fill="none" stroke="${col}" stroke-width="1.5" marker-end="url(#arr-${rule})"/>` +
           (label ? `<text x="${mid}" y="${cy}" text-anchor="middle" font-size="10" fill="${col}">${escapeHtml(label)}</text>` : '');
  };
  if (t.path === 'chain' || t.path === 'targets')
    for (let i = n - 1; i > 1; i--) svg += arrow(X(i) - 4, X(i - 1) + 4, i === n - 1 || n < 6 ? t.via : '', false);
  else if (t.path === 'direct' || t.path === 'label')
    for (let i = 1; i < n - 1; i++) svg += arrow(X(n - 1) - 4, X(i) + 4, i === 1 ? t.via + (t.path === 'label' ? ' y' : ' e') : '', true);
  return svg + '</svg>';
}

/* ---------------------------------------------------------------- the module -------- */

let wasm = null, RULES = [], RULE_INFO = {};   /* names; name -> {summary, flags} (pg_rule_flags) */

async function loadModule() {
  const bytes = Uint8Array.from(atob(window.TP_WASM), c => c.charCodeAt(0));
  const module = await WebAssembly.compile(bytes);
  /* the library never prints or opens files here: every WASI call libc links in answers ENOSYS */
  const imports = {};
  for (const im of WebAssembly.Module.imports(module)) {
    (imports[im.module] = imports[im.module] || {})[im.name] = () => 52;
  }
  const instance = await WebAssembly.instantiate(module, imports);
  wasm = instance.exports;
  if (wasm._initialize) wasm._initialize();
  RULES = [];
  for (let i = 0; i < wasm.pg_rule_count(); i++) {
    const name = cstr(wasm.pg_rule_name(i));
    RULES.push(name);
    RULE_INFO[name] = { summary: cstr(wasm.pg_rule_summary(i)), flags: wasm.pg_rule_flags(i) };
  }
}

/* What a rule has, from its description in the library (pg_rule_flags in playground.c): */
const FLAGS = { inverses: 1,   /* inverses: their reconstruction error */
                targets: 2,    /* hidden-layer targets: their distance, the hybrid beta */
                aux: 4,        /* auxiliary output units */
                ownopt: 8,     /* learned feedback on its own optimiser: schedule, inverse lr */
                noise: 16,     /* learned feedback trained from noise: sigma */
                alpha: 32,     /* DTP's top target: alpha */
                decay: 64 };   /* weight decay (Kolen-Pollack) */
const has = (rule, what) => (RULE_INFO[rule]?.flags & FLAGS[what]) !== 0;
const hasInverses = rule => has(rule, 'inverses'), hasTargets = rule => has(rule, 'targets');

function cstr(p) {
  const m = new Uint8Array(wasm.memory.buffer);
  let e = p;
  while (m[e]) e++;
  return new TextDecoder().decode(m.subarray(p, e));
}

function floats(p, n) { return new Float32Array(wasm.memory.buffer, p, n).slice(); }

/* ---------------------------------------------------------------- the setting ------- */

/* The whole setting as a URL hash: every key, always, so a link says exactly what it shows. */
function encode(s) {
  const q = [['data', s.data], ['noise', s.noise], ['depth', s.depth], ['width', s.width], ['act', s.act], ['batch', s.batch],
             ['seed', s.seed], ['compare', s.compare ? 1 : 0]];
  for (const k of ['a', 'b'])
    for (const f of Object.keys(SIDE_DEFAULTS)) q.push([f === 'rule' ? k : k + '.' + f, s[k][f]]);
  return '#' + q.map(([k, v]) => k + '=' + encodeURIComponent(String(v))).join('&');
}

/* A hash back into a setting; what is missing takes the default, and so does what is out of
   range, which decode.refused then lists ('"300", expected a whole number from 2 to 256') for the
   page to say. */
function decode(hash) {
  const s = JSON.parse(JSON.stringify(DEFAULTS)), p = {}, refused = [];
  for (const kv of (hash || '').replace(/^#/, '').split('&')) {
    const i = kv.indexOf('=');
    if (i > 0) { try { p[kv.slice(0, i)] = decodeURIComponent(kv.slice(i + 1)); } catch (e) { refused.push(kv); } }
  }
  const no = (v, what) => { if (v !== undefined) refused.push(`"${v}", expected ${what}`); };
  const int = (v, lo, hi, d) => { const n = Number(v); if (Number.isInteger(n) && n >= lo && n <= hi) return n; no(v, `a whole number from ${lo} to ${hi}`); return d; };
  const num = (v, lo, hi, d) => { const n = Number(v); if (v !== undefined && v !== '' && isFinite(n) && n >= lo && n <= hi) return n; no(v, `${lo} to ${hi}`); return d; };
  const pick = (v, list, d) => { if (list.includes(v)) return v; no(v, list.join(', ')); return d; };
  s.data = pick(p.data, DATA, s.data);
  s.noise = num(p.noise, 0, 1, s.noise);
  s.depth = int(p.depth, 1, 8, s.depth);
  s.width = int(p.width, 2, 256, s.width);
  s.act = pick(p.act, ACTS, s.act);
  s.batch = int(p.batch, 1, 1024, s.batch);
  s.seed = int(p.seed, 0, 2147483647, s.seed);
  if (p.compare !== undefined) s.compare = p.compare === '1';
  for (const k of ['a', 'b']) {
    const d = s[k];
    d.rule = pick(p[k], RULES.length ? RULES : ['bp', 'fa', 'dfa', 'dtp', 'sdtp', 'aosdtp'], d.rule);
    d.schedule = pick(p[k + '.schedule'], ['parallel', 'alternating'], d.schedule);
    d.lr = num(p[k + '.lr'], 0, 10, d.lr);
    d.ilr = num(p[k + '.ilr'], 0, 10, d.ilr);
    d.alpha = num(p[k + '.alpha'], 0, 100, d.alpha);
    d.sigma = num(p[k + '.sigma'], 0, 100, d.sigma);
    d.hybrid = num(p[k + '.hybrid'], 0, 1, d.hybrid);
    d.aux = int(p[k + '.aux'], 0, 1024, d.aux);
    d.decay = num(p[k + '.decay'], 0, 0.999, d.decay);
  }
  decode.refused = refused;
  return s;
}

/* Says which values of a link were not taken (decode.refused of its decode), if any. */
function sayRefused(refused) {
  if (refused && refused.length)
    showMessage('The link held values the page does not take, and the defaults stand in for them: ' +
                refused.join('; ') + '.');
}

/* ---------------------------------------------------------------- runs -------------- */

/* One side of the page: a run in the module and what the page has seen of it. */
class Side {
  constructor(key, el) {
    this.key = key;
    this.el = el;
    this.ptr = 0;
    this.error = '';
  }

  create(s) {
    this.destroy();
    const d = s[this.key];
    this.setting = d;
    this.ptr = wasm.pg_new(DATA.indexOf(s.data), s.depth, s.width, ACTS.indexOf(s.act), RULES.indexOf(d.rule),
                           d.schedule === 'alternating' ? 1 : 0, s.batch, s.seed, d.lr, d.ilr, d.alpha, d.sigma,
                           d.hybrid, d.aux, d.decay, s.noise);
    this.error = this.ptr ? cstr(wasm.pg_error(this.ptr)) : 'out of memory';
    this.created = !this.error;   /* the net exists (it may fail later: this.error) */
    this.grid = null;
    this.hist = [];           /* {step, loss, err, bloss, berr, inv, tloss, terr}: t* on the held-out points */
    this.diag = [];           /* {step, angle[], recon[], target[], feedback[]} */
    this.trainMs = 0;         /* time inside pg_train */
    this.playMs = 0;          /* wall time while playing */
    this.chunk = 1;           /* steps per pg_train call, adapted to about a millisecond */
    this.perfect = null;      /* {step, seconds} when all points were first classified right */
    this.rate = 0;            /* steps per second of wall time, last second */
    this.rateWindow = [];
    this.step = 0;
    if (this.error) return;
    this.layers = wasm.pg_layers(this.ptr);
    this.k = wasm.pg_classes(this.ptr);
    this.spec = cstr(wasm.pg_spec(this.ptr));
    const n = 1024;
    this.points = floats(wasm.pg_points(this.ptr), 2 * n);
    const y = floats(wasm.pg_labels(this.ptr), this.k * n);
    this.labels = new Uint8Array(n);
    for (let i = 0; i < n; i++) for (let c = 0; c < this.k; c++) if (y[i * this.k + c] > 0.5) this.labels[i] = c;
    this.refresh(true);
  }

  destroy() {
    if (this.ptr) wasm.pg_free(this.ptr);
    this.ptr = 0;
    this.created = false;
  }

  get ok() { return this.ptr && !this.error; }

  /* Trains for about ms milliseconds; returns the steps taken. */
  train(ms) {
    if (!this.ok) return 0;
    const t0 = performance.now();
    let steps = 0;
    while (performance.now() - t0 < ms) {
      const t = performance.now();
      if (wasm.pg_train(this.ptr, this.chunk) !== 0) { this.error = cstr(wasm.pg_error(this.ptr)); break; }
      const dt = performance.now() - t;
      steps += this.chunk;
      this.chunk = Math.max(1, Math.min(256, Math.round(this.chunk * (dt < 0.5 ? 2 : dt > 2 ? 0.5 : 1))));
    }
    this.trainMs += performance.now() - t0;
    return steps;
  }

  trainSteps(n) {
    if (!this.ok) return;
    const t0 = performance.now();
    if (wasm.pg_train(this.ptr, n) !== 0) this.error = cstr(wasm.pg_error(this.ptr));
    this.trainMs += performance.now() - t0;
  }

  /* Loss and error on every point; with full, the regions and the diagnostics too. */
  refresh(full) {
    if (!this.created) return;
    const st = floats(wasm.pg_stats(this.ptr), 12);
    this.step = st[0];
    this.epoch = st[1];
    this.inverseEpoch = st[2] > 0;
    const last = this.hist[this.hist.length - 1];
    if (!last || last.step !== st[0]) {
      this.hist.push({ step: st[0], loss: st[6], err: st[7], bloss: st[3], berr: st[4], inv: st[5], tloss: st[10], terr: st[11] });
      thin(this.hist);
    }
    if (st[7] === 0 && !this.perfect && st[0] > 0) this.perfect = { step: st[0], seconds: this.playMs / 1000 };
    if (!full || this.error) return;
    const L = this.layers, p = wasm.pg_diagnose(this.ptr);
    if (p) {
      const d = floats(p, 4 * L);
      const lastd = this.diag[this.diag.length - 1];
      if (!lastd || lastd.step !== st[0]) {
        this.diag.push({ step: st[0], angle: Array.from(d.subarray(0, L)), recon: Array.from(d.subarray(L, 2 * L)),
                         target: Array.from(d.subarray(2 * L, 3 * L)), feedback: Array.from(d.subarray(3 * L, 4 * L)) });
        thin(this.diag);
      }
    } else {
      this.error = cstr(wasm.pg_error(this.ptr));
    }
    const g = wasm.pg_grid(this.ptr, GRID, LO, HI);
    if (g) this.grid = floats(g, GRID * GRID * this.k);
  }
}

/* Keeps a series under MAX_POINTS by dropping every other point of its older half. */
function thin(a) {
  if (a.length <= MAX_POINTS) return;
  const half = a.length >> 1, kept = a.slice(0, half).filter((_, i) => i % 2 === 0);
  a.splice(0, half, ...kept);
}

/* ---------------------------------------------------------------- drawing ----------- */

function drawRegions(side) {
  const cv = side.el.querySelector('canvas.regions'), ctx = cv.getContext('2d');
  const W = cv.width, H = cv.height;
  ctx.clearRect(0, 0, W, H);
  if (!side.created) return;
  if (side.grid) {
    const img = ctx.createImageData(GRID, GRID), k = side.k;
    for (let i = 0; i < GRID * GRID; i++) {
      let r = 0, g = 0, b = 0, best = 0;
      for (let c = 0; c < k; c++) {
        const p = side.grid[i * k + c];
        r += p * CLASS_RGB[c][0]; g += p * CLASS_RGB[c][1]; b += p * CLASS_RGB[c][2];
        best = Math.max(best, p);
      }
      const w = 0.25 + 0.35 * (best - 1 / k) / (1 - 1 / k);   /* lighter where the net is unsure */
      img.data[4 * i] = 255 - w * (255 - r);
      img.data[4 * i + 1] = 255 - w * (255 - g);
      img.data[4 * i + 2] = 255 - w * (255 - b);
      img.data[4 * i + 3] = 255;
    }
    const off = document.createElement('canvas');
    off.width = off.height = GRID;
    off.getContext('2d').putImageData(img, 0, 0);
    ctx.imageSmoothingEnabled = true;
    ctx.drawImage(off, 0, 0, W, H);
  }
  const sx = x => (x - LO) / (HI - LO) * W, sy = y => (HI - y) / (HI - LO) * H;
  ctx.lineWidth = 1.5;
  ctx.strokeStyle = 'rgba(255,255,255,0.8)';
  const mark = (c, x, y) => {   /* a shape per class as well as a colour */
    const r = 2.6;
    switch (c % 6) {
      case 0: ctx.moveTo(x + r, y); ctx.arc(x, y, r, 0, 2 * Math.PI); break;
      case 1: ctx.rect(x - r, y - r, 2 * r, 2 * r); break;
      case 2: ctx.moveTo(x, y - r - 0.6); ctx.lineTo(x + r + 0.4, y + r); ctx.lineTo(x - r - 0.4, y + r); ctx.closePath(); break;
      case 3: ctx.moveTo(x, y - r - 0.8); ctx.lineTo(x + r + 0.8, y); ctx.lineTo(x, y + r + 0.8); ctx.lineTo(x - r - 0.8, y); ctx.closePath(); break;
      case 4: ctx.rect(x - r - 0.6, y - 1.2, 2 * r + 1.2, 2.4); ctx.rect(x - 1.2, y - r - 0.6, 2.4, 2 * r + 1.2); break;
      default: ctx.moveTo(x - r, y - r); ctx.lineTo(x + r, y + r); ctx.moveTo(x + r, y - r); ctx.lineTo(x - r, y + r);
    }
  };
  for (let c = 0; c < side.k; c++) {   /* one path per class: a white halo, then the marks */
    ctx.beginPath();
    for (let i = 0; i < side.labels.length; i++) {
      if (side.labels[i] !== c) continue;
      mark(c, sx(side.points[2 * i]), sy(side.points[2 * i + 1]));
    }
    ctx.fillStyle = `rgb(${CLASS_RGB[c].map(v => v * 0.75).join(',')})`;
    ctx.strokeStyle = c % 6 === 5 ? ctx.fillStyle : 'rgba(255,255,255,0.8)';
    ctx.stroke();
    ctx.fill();
  }
  cv.setAttribute('aria-label', `decision regions and the ${side.labels.length} training points of ${side.k} classes, ` +
                  `${side.hist.length ? fmt(100 * (1 - side.hist[side.hist.length - 1].err), 1) + '% classified right' : ''}`);
}

/* A small line chart: series [{label, color, dash, pts: [[x, y]...]}], opts {title, log, ymin, ymax, ticks,
   note}. Points beyond a fixed axis are drawn at its edge with a triangle; the legend wraps below. */
const CHART_FONT = '12px system-ui, "DejaVu Sans", sans-serif';
function lineChart(cv, series, opts) {
  const dpr = window.devicePixelRatio || 1, W = cv.clientWidth || 400;
  const ctx = cv.getContext('2d');
  ctx.font = CHART_FONT;
  const l = 44, r = 8, t = 18, plotH = 104;
  /* the legend's rows, laid out first: the canvas grows to hold them */
  const rows = [];
  let lx = l, row = 0;
  for (const s of series) {
    if (!s.label || !s.pts.length) continue;
    const w = 26 + ctx.measureText(s.label).width + 12;
    if (lx + w > W - r && lx > l) { lx = l; row++; }
    rows.push({ s, x: lx, row });
    lx += w;
  }
  const legendRows = rows.length ? row + 1 : 0, b = 20 + 16 * legendRows + 2, H = t + plotH + b;
  if (cv.width !== Math.round(W * dpr) || cv.height !== Math.round(H * dpr)) {
    cv.style.height = H + 'px';
    cv.width = Math.round(W * dpr);
    cv.height = Math.round(H * dpr);
  }
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  ctx.clearRect(0, 0, W, H);
  ctx.font = CHART_FONT;
  ctx.textAlign = 'left';
  ctx.fillStyle = '#222';
  ctx.fillText(opts.title, 2, 13);
  let xmax = 1, ymin = opts.ymin, ymax = opts.ymax, n = 0;
  const tr = v => opts.log ? Math.log10(Math.max(v, 1e-30)) : v;
  for (const s of series) for (const [x, y] of s.pts) {
    if (!isFinite(y) || (opts.log && !(y > 0))) continue;
    xmax = Math.max(xmax, x); n++;
    if (opts.ymin === undefined) ymin = ymin === undefined ? tr(y) : Math.min(ymin, tr(y));
    if (opts.ymax === undefined) ymax = ymax === undefined ? tr(y) : Math.max(ymax, tr(y));
  }
  const y1 = t + plotH;
  ctx.strokeStyle = '#bbb';
  ctx.strokeRect(l, t, W - l - r, plotH);
  cv.setAttribute('aria-label', opts.title + (n ? '' : ': ' + (opts.note || 'no points yet')));
  if (!n) {
    ctx.fillStyle = '#666';
    ctx.fillText(opts.note || 'no points yet', l + 8, t + 22);
    return 0;
  }
  if (opts.log) { ymin = Math.floor(ymin); ymax = Math.max(Math.ceil(ymax), ymin + 1); }
  else if (ymax - ymin < 1e-9) { ymax = ymin + 1; }
  const X = x => l + x / xmax * (W - l - r), Y = y => t + (1 - (tr(y) - ymin) / (ymax - ymin)) * plotH;
  ctx.fillStyle = '#444';
  const span = ymax - ymin, every = opts.log ? Math.max(1, Math.ceil(span / 5)) : 1;
  const ticks = opts.log ? Array.from({ length: span + 1 }, (_, i) => ymin + i).filter((_, i) => i % every === 0)
                         : (opts.ticks || [ymin, (ymin + ymax) / 2, ymax]);
  ctx.textAlign = 'right';
  for (const v of ticks) {   /* labels at the axis */
    const py = t + (1 - (v - ymin) / (ymax - ymin)) * plotH;
    ctx.fillText(opts.log ? '1e' + v : String(+v.toFixed(2)), l - 4, py + 4);
    ctx.strokeStyle = '#eee';
    ctx.beginPath(); ctx.moveTo(l + 1, py); ctx.lineTo(W - r - 1, py); ctx.stroke();
  }
  ctx.textAlign = 'right';
  ctx.fillText('step ' + xmax, W - r, y1 + 14);
  ctx.textAlign = 'left';
  for (const s of series) {
    ctx.strokeStyle = s.color;
    ctx.fillStyle = s.color;
    ctx.lineWidth = 1.5;
    ctx.setLineDash(s.dash || []);
    ctx.beginPath();
    let started = false;
    const beyond = [];
    for (const [x, y] of s.pts) {
      if (!isFinite(y) || (opts.log && !(y > 0))) { started = false; continue; }
      const raw = Y(y), py = Math.max(t, Math.min(y1, raw));
      if (raw < t - 0.5 || raw > y1 + 0.5) beyond.push([X(x), py, raw < t]);
      if (started) ctx.lineTo(X(x), py); else ctx.moveTo(X(x), py);
      started = true;
    }
    ctx.stroke();
    ctx.setLineDash([]);
    for (const [px, py, up] of beyond.slice(-1)) {   /* the latest point beyond the axis, marked */
      ctx.beginPath();
      ctx.moveTo(px - 4, up ? py + 6 : py - 6); ctx.lineTo(px + 4, up ? py + 6 : py - 6); ctx.lineTo(px, py);
      ctx.closePath(); ctx.fill();
    }
  }
  for (const { s, x, row: k } of rows) {   /* the legend: each series' line, dash and name */
    const py = y1 + 32 + 16 * k;   /* under the step count */
    ctx.strokeStyle = s.color;
    ctx.lineWidth = 2;
    ctx.setLineDash(s.dash || []);
    ctx.beginPath(); ctx.moveTo(x, py - 4); ctx.lineTo(x + 20, py - 4); ctx.stroke();
    ctx.setLineDash([]);
    ctx.fillStyle = '#222';
    ctx.fillText(s.label, x + 24, py);
  }
  return n;
}

function drawCharts(side) {
  const c = name => side.el.querySelector(`canvas[data-chart=${name}]`);
  const L = side.layers || 0, rule = side.setting.rule;
  side.plotted = {};
  side.plotted.loss = lineChart(c('loss'), [
    { label: 'loss', color: '#222', pts: side.hist.map(h => [h.step, h.loss]) },
    /* an error rate of 0 has no place on a log axis: no point, and the status line says 100% */
    { label: 'error rate', color: '#d55e00', pts: side.hist.map(h => [h.step, h.err]).filter(p => p[1] > 0), dash: [4, 3] },
    { label: 'held-out loss', color: '#0072b2', pts: side.hist.map(h => [h.step, h.tloss]) },
    { label: 'held-out error', color: '#56b4e9', pts: side.hist.map(h => [h.step, h.terr]).filter(p => p[1] > 0), dash: [4, 3] },
  ], { title: 'loss and error rate: training and held-out points (log)', log: true });
  const layerSeries = key => Array.from({ length: L }, (_, l) => ({
    label: l === L - 1 ? `layer ${l + 1} (output)` : `layer ${l + 1}`,
    color: LAYER_COLORS[l % LAYER_COLORS.length], dash: LAYER_DASHES[l % LAYER_DASHES.length],
    /* NaN: an angle of a zero gradient, which has none; below 0: not measured for this rule */
    pts: side.diag.map(d => [d.step, d[key][l]]).filter(p => Number.isFinite(p[1]) && p[1] >= 0),
  })).filter(s => s.pts.length);
  side.plotted.angle = lineChart(c('angle'), layerSeries('angle'),
    { title: 'angle to the BP gradient (degrees)', ymin: 0, ymax: 180, ticks: [0, 45, 90, 135, 180] });
  side.plotted.recon = lineChart(c('recon'), hasInverses(rule) ? layerSeries('recon') : [],
    { title: 'inverse reconstruction error (log)', log: true, note: hasInverses(rule) ? '' : `${rule} learns no inverses` });
  side.plotted.target = lineChart(c('target'), hasTargets(rule) ? layerSeries('target') : [],
    { title: 'target distance ||h - target||² (log)', log: true, note: hasTargets(rule) ? '' : `${rule} computes no targets` });
  const fb = layerSeries('feedback');
  side.plotted.feedback = lineChart(c('feedback'), fb,
    { title: 'angle of the feedback to W (degrees)', ymin: 0, ymax: 180, ticks: [0, 45, 90, 135, 180],
      note: `${rule} has no feedback matrix` });
}

function fmt(v, d) { return v < 0 || !isFinite(v) ? '-' : v.toFixed(d); }

function drawStatus(side) {
  const el = side.el.querySelector('.status');
  if (!side.created) { el.innerHTML = `<span class="err">${escapeHtml(side.error)}</span>`; return; }
  const h = side.hist[side.hist.length - 1] || { loss: -1, err: -1 };
  const phase = has(side.setting.rule, 'ownopt') && side.setting.schedule === 'alternating'
    ? (side.inverseEpoch ? ' (inverse epoch)' : ' (forward epoch)') : '';
  el.innerHTML =
    `step <b>${side.step}</b>, epoch ${side.epoch}${phase} &middot; loss <b>${fmt(h.loss, 4)}</b> &middot; ` +
    `accuracy <b>${fmt(100 * (1 - h.err), 1)}%</b>, held out <b>${fmt(100 * (1 - h.terr), 1)}%</b> &middot; ` +
    `<span class="rate">${Math.round(side.rate)}</span> steps/s<br>` +
    `<span class="note">${escapeHtml(side.spec || '')}</span>` +
    (side.perfect ? ` &middot; <span class="note">100% at step ${side.perfect.step} after ${side.perfect.seconds.toFixed(2)} s</span>` : '') +
    (side.error ? `<br><span class="err">${escapeHtml(side.error)}</span>` : '');
  /* the row to compare the sides by */
  const d = side.diag[side.diag.length - 1], hidden = d ? d.angle.slice(0, -1).filter(a => a >= 0) : [];
  const mean = hidden.length ? hidden.reduce((a, b) => a + b, 0) / hidden.length : NaN;
  side.el.querySelector('.summary').innerHTML =
    `100% on the training points: <b>${side.perfect ? 'step ' + side.perfect.step : 'not yet'}</b> &middot; ` +
    `held-out error <b>${fmt(100 * h.terr, 1)}%</b> &middot; mean angle to BP, hidden layers: ` +
    `<b>${isFinite(mean) ? mean.toFixed(1) + '°' : 'none (a zero gradient)'}</b>`;
}

function escapeHtml(s) { return s.replace(/[&<>"]/g, c => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]); }

/* ---------------------------------------------------------------- the page ---------- */

const $ = id => document.getElementById(id);
let setting = null, sides = [], playing = false, dirty = false, lastRefresh = 0, lastSlice = 0, refreshCost = 0;
let lastFrameAt = 0, pumpWaits = false, nextRefresh = 0;

function buildControls() {
  for (const d of DATA) $('data').add(new Option(d, d));
  for (const a of ACTS) $('act').add(new Option(a, a));
  const tpl = $('side-template');
  for (const k of ['a', 'b']) {
    const el = tpl.content.firstElementChild.cloneNode(true);
    el.dataset.side = k;
    el.querySelector('h2').textContent = k === 'a' ? 'left' : 'right';
    const sel = el.querySelector('[data-k=rule]');
    for (const r of RULES) { const o = new Option(r, r); o.title = RULE_INFO[r].summary; sel.add(o); }
    $('sides').appendChild(el);
    sides.push(new Side(k, el));
    el.querySelectorAll('[data-k]').forEach(inp => inp.addEventListener('change', () => {
      const v = checkInput(inp);
      if (v === null) return;
      setting[k][inp.dataset.k] = v;
      settingChanged();
    }));
  }
  for (const id of ['data', 'noise', 'depth', 'width', 'act', 'batch', 'seed', 'compare'])
    $(id).addEventListener('change', () => {
      const inp = $(id), v = inp.type === 'checkbox' ? inp.checked : checkInput(inp);
      if (v === null) return;
      setting[id] = v;
      settingChanged();
    });
  document.querySelectorAll('#controls label, .side label').forEach(addHelp);
  buildLessons();
  $('play').addEventListener('click', () => setPlaying(!playing));
  $('speed-mode').addEventListener('change', () => { if (playing && !SPEEDS[$('speed-mode').value]) pump.port2.postMessage(0); });
  $('step').addEventListener('click', () => { setPlaying(false); stepOnce(1); });
  $('reset').addEventListener('click', () => reset());
  $('link').addEventListener('click', () => {
    const url = location.href.replace(/#.*$/, '') + encode(setting);
    const copied = ok => {
      if (ok) {
        $('link').textContent = 'link copied';
        setTimeout(() => { $('link').textContent = 'copy link'; }, 1500);
        return;
      }
      showMessage('This browser would not let the page copy the link; copy it from here:', url);
    };
    if (navigator.clipboard && navigator.clipboard.writeText) navigator.clipboard.writeText(url).then(() => copied(true), () => copied(false));
    else copied(false);
  });
  window.addEventListener('hashchange', () => {
    if (location.hash !== encode(setting)) { setting = decode(location.hash); sayRefused(decode.refused); showSetting(); reset(); }
  });
  $('version').textContent = 'targetprop.h ' + cstr(wasm.pg_version()) + '.';
}

/* A control's value if it is one the setting can take (a number control: a number within its
   min and max, whole where its step is 1), else null, after a message saying what was expected;
   the control then shows the setting's value again. */
function checkInput(inp) {
  if (inp.type !== 'number') return inp.value;
  const v = Number(inp.value), lo = inp.min === '' ? -Infinity : Number(inp.min), hi = inp.max === '' ? Infinity : Number(inp.max);
  const label = inp.closest('label'), whole = inp.step === '1', name = label.dataset.name || label.firstChild.textContent.trim();
  if (inp.value.trim() !== '' && isFinite(v) && v >= lo && v <= hi && (!whole || Number.isInteger(v))) {
    hideMessage();
    return v;
  }
  showMessage(`${name} ${inp.value.trim() === '' ? '(empty)' : inp.value} is not taken: expected ${whole ? 'a whole number' : 'a number'} ` +
              `from ${lo} to ${hi}. It stays ${inp.dataset.k ? setting[inp.closest('.side').dataset.side][inp.dataset.k] : setting[inp.id]}.`);
  showSetting();
  return null;
}

function showMessage(text, link) {
  const el = $('message');
  el.textContent = text;
  if (link) {
    const box = document.createElement('input');
    box.readOnly = true;
    box.value = link;
    box.setAttribute('aria-label', 'link to this setting');
    el.appendChild(box);
    box.focus();
    box.select();
  }
  el.classList.remove('hidden');
}

function hideMessage() { $('message').classList.add('hidden'); $('message').textContent = ''; }

/* A "?" button after a control's name that shows (and hides) what the control does. */
function addHelp(label) {
  const inp = label.querySelector('input, select'), key = inp && (inp.dataset.k || inp.id), text = HELP[key];
  if (!text) return;
  const name = label.firstChild.textContent.trim(), btn = document.createElement('button'), note = document.createElement('span');
  btn.type = 'button';
  btn.className = 'help';
  btn.textContent = '?';
  btn.setAttribute('aria-label', 'what ' + name + ' does');
  btn.setAttribute('aria-expanded', 'false');
  note.className = 'helptext hidden';
  note.textContent = text;
  note.id = 'help-' + key + '-' + Math.random().toString(36).slice(2, 8);
  btn.setAttribute('aria-controls', note.id);
  btn.addEventListener('click', e => {
    e.preventDefault();
    const open = note.classList.toggle('hidden') === false;
    btn.setAttribute('aria-expanded', String(open));
  });
  const head = document.createElement('span');   /* the name and its "?" on one line */
  head.textContent = name;
  head.appendChild(btn);
  label.dataset.name = name;
  label.replaceChild(head, label.firstChild);
  label.appendChild(note);
}

/* Writes the setting into the controls, normalised (what decode kept is what shows). */
function showSetting() {
  for (const id of ['data', 'noise', 'depth', 'width', 'act', 'batch', 'seed']) $(id).value = setting[id];
  $('compare').checked = setting.compare;
  for (const side of sides) {
    const d = setting[side.key], rule = d.rule, el = side.el;
    el.querySelectorAll('[data-k]').forEach(inp => { inp.value = d[inp.dataset.k]; });
    el.querySelectorAll('[data-show]').forEach(lab => lab.classList.toggle('hidden', !has(rule, lab.dataset.show)));
    el.querySelector('h2').textContent = (!setting.compare ? '' : side.key === 'a' ? 'left: ' : 'right: ') + rule +
      (RULE_TEXT[rule] ? ' (' + RULE_TEXT[rule].words + ')' : '');
    const t = RULE_TEXT[rule];
    el.querySelector('.about').innerHTML =
      (t ? `<b>${escapeHtml(t.words)}</b>, ${escapeHtml(t.who)}. ` : '') + escapeHtml(RULE_INFO[rule]?.summary || '') +
      (t ? `<br><code>${escapeHtml(t.eq)}</code>` : '') + ruleDiagram(rule, setting.depth);
  }
  sides[1].el.classList.toggle('hidden', !setting.compare);
  $('sides').classList.toggle('single', !setting.compare);
}

function settingChanged() {
  /* read the controls back through the hash, so what is kept is exactly what a link would give */
  setting = decode(encode(setting));
  history.replaceState(null, '', encode(setting));
  showSetting();
  reset();
}

function activeSides() { return setting.compare ? sides : sides.slice(0, 1); }

/* New nets from the setting; side by side, the right starts from the left's forward weights
   wherever the nets match, so the rules are compared from one starting point. */
function reset() {
  for (const side of sides) side.destroy();
  for (const side of activeSides()) side.create(setting);
  const [a, b] = activeSides();
  if (b && a.ok && b.ok && wasm.pg_copy_forward(b.ptr, a.ptr)) {
    b.hist = [];
    b.diag = [];
    b.refresh(true);
  }
  render(true);
}

function setPlaying(p) {
  if (p && !playing) {
    lastSlice = performance.now();
    pumpWaits = false;
    pump.port2.postMessage(0);
  }
  if (!p && playing) dirty = true;   /* a last refresh shows where it stopped */
  playing = p;
  $('play').textContent = p ? 'pause' : 'play';
}

function stepOnce(n) {
  for (const side of activeSides()) { side.trainSteps(n); side.refresh(true); }
  render(true);
}

function drawSide(side, full) {
  if (full) { drawRegions(side); drawCharts(side); }
  drawStatus(side);
}

function render(full) {
  for (const side of activeSides()) drawSide(side, full);
}

/* Training runs in slices of SLICE_MS posted through a MessageChannel (no timer clamping),
   drawing in animation frames: the page stays responsive and training gets most of the time. */
const pump = new MessageChannel();
pump.port1.onmessage = () => {
  if (!playing || SPEEDS[$('speed-mode').value]) return;   /* a slow speed trains in the frames */
  const now = performance.now(), act = activeSides().filter(s => s.ok), dt = now - lastSlice;
  lastSlice = now;
  for (const side of act) {
    const steps = side.train(SLICE_MS / act.length);
    side.playMs += dt;
    side.rateWindow.push([now, steps]);
    while (side.rateWindow.length > 2 && now - side.rateWindow[0][0] > 1000) side.rateWindow.shift();
    const span = performance.now() - side.rateWindow[0][0];
    side.rate = span > 0 ? side.rateWindow.reduce((a, w) => a + w[1], 0) / span * 1000 : 0;
  }
  if (!act.length) setPlaying(false);
  else if (performance.now() - lastFrameAt > FRAME_WAIT_MS) pumpWaits = true;   /* let a frame draw first */
  else pump.port2.postMessage(0);
};

function frame(now) {
  lastFrameAt = performance.now();
  if (pumpWaits && playing) { pumpWaits = false; pump.port2.postMessage(0); }
  const paced = SPEEDS[$('speed-mode').value];
  if (playing && paced) {   /* a few steps a frame, every frame drawn: a boundary forming, step by step */
    for (const side of activeSides().filter(s => s.ok)) {
      side.trainSteps(paced);
      side.playMs += 1000 / 60;
      side.rate = paced * 60;
      side.refresh(true);
    }
    render(true);
  } else if (playing || dirty) {
    /* one side per frame, each at most every REFRESH_MS, and rarer when refreshing would take
       over a fifth of the time */
    const act = activeSides();
    if (dirty) {
      for (const side of act) side.refresh(true);
      render(true);
      dirty = false;
    } else if (now - lastRefresh > Math.max(REFRESH_MS / act.length, 4 * refreshCost)) {
      const side = act[nextRefresh++ % act.length], t = performance.now();
      lastRefresh = now;
      side.refresh(true);
      drawSide(side, true);
      refreshCost = 0.7 * refreshCost + 0.3 * (performance.now() - t);
    }
  }
  $('speed').textContent = playing ? activeSides().map(s => `${s.setting.rule} ${Math.round(s.rate)} steps/s`).join(', ') : '';
  requestAnimationFrame(frame);
}

async function main() {
  await loadModule();
  setting = decode(location.hash);
  const refused = decode.refused;
  buildControls();
  sayRefused(refused);
  showSetting();
  history.replaceState(null, '', encode(setting));
  reset();
  let resizing = false;   /* the charts are drawn at their size: again after a resize, once a frame */
  window.addEventListener('resize', () => {
    if (resizing) return;
    resizing = true;
    requestAnimationFrame(() => { resizing = false; render(true); });
  });
  requestAnimationFrame(frame);
  window.pg.ready = true;
}

/* What tests/playground.sh drives. */
window.pg = {
  ready: false, encode, decode, lessons: () => LESSONS.map(l => ({ id: l.id, title: l.title, hash: lessonHash(l) })),
  get setting() { return setting; },
  get rules() { return RULES.map(r => ({ name: r, summary: RULE_INFO[r].summary, ...Object.fromEntries(Object.keys(FLAGS).map(f => [f, has(r, f)])) })); },
  get sides() { return activeSides(); },
  play: () => setPlaying(true), pause: () => setPlaying(false), reset, step: stepOnce,
  apply(hash) { setting = decode(hash); history.replaceState(null, '', encode(setting)); showSetting(); reset(); },
  summary() {
    return activeSides().map(s => ({
      rule: s.setting.rule, step: s.step, error: s.error, rate: s.rate, trainMs: s.trainMs, playMs: s.playMs,
      perfect: s.perfect, first: s.hist[0], last: s.hist[s.hist.length - 1], diagPoints: s.diag.length,
      plotted: s.plotted, layers: s.layers, message: $('message').textContent,
      lastDiag: s.diag[s.diag.length - 1], diag0: s.diag[0] && s.diag[0].angle,
    }));
  },
  regionsHash(i) {   /* a checksum of a side's decision-region canvas */
    const cv = activeSides()[i].el.querySelector('canvas.regions');
    const d = cv.getContext('2d').getImageData(0, 0, cv.width, cv.height).data;
    let h = 0;
    for (let j = 0; j < d.length; j += 4) h = (h * 31 + d[j] + 7 * d[j + 1] + 13 * d[j + 2]) >>> 0;
    return h;
  },
};

main().catch(e => {
  document.body.insertAdjacentHTML('afterbegin', `<p style="color:#b00020;padding:8px 16px">The playground could not start: ${escapeHtml(String(e))}</p>`);
  window.pg.failed = String(e);
});
