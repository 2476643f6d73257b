/* browser-test.js: the playground in headless Chromium, driven through the DevTools protocol
   over a pipe (no npm package). Run by tests/playground.sh:

     node examples/playground/browser-test.js build/playground [screenshot.png]

   Checks, for every rule the page lists: training for a few seconds (and at least 300 steps)
   lowers the loss, changes the decision regions and plots the angle to the BP gradient (and,
   for TP rules, the inverses' reconstruction error and target distance); the alternating
   schedule runs; the default page (BP beside DTP on the spirals) reaches 100% training
   accuracy with BP within 3000 steps (how fast is printed, not checked); a link round-trips
   the whole setting, through a fresh load and a changed control.
   Prints one line per check and "N passed, N failed". */
'use strict';
const { spawn } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');

const dir = path.resolve(process.argv[2] || 'build/playground');
const shot = process.argv[3] || path.join(dir, 'screenshot.png');
const exe = process.env.CHROMIUM || '/usr/bin/chromium';
const SECONDS = Number(process.env.PLAYGROUND_SECONDS || 3);   /* training per rule */
const page = 'file://' + path.join(dir, 'index.html');

let passed = 0, failed = 0;
function check(ok, what, detail) {
  if (ok) passed++; else failed++;
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${what}${detail ? ': ' + detail : ''}`);
}

/* ---------------------------------------------------------- DevTools over a pipe ---- */

class Browser {
  constructor() {
    this.profile = fs.mkdtempSync(path.join(os.tmpdir(), 'tp-playground-'));
    const args = ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--no-default-browser-check',
                  '--disable-extensions', '--disable-background-timer-throttling', '--disable-renderer-backgrounding',
                  '--disable-backgrounding-occluded-windows', '--allow-file-access-from-files',
                  `--user-data-dir=${this.profile}`, '--remote-debugging-pipe', 'about:blank'];
    this.log = fs.openSync(path.join(this.profile, 'chromium.log'), 'w');
    this.proc = spawn(exe, args, { stdio: ['ignore', this.log, this.log, 'pipe', 'pipe'] });
    this.proc.on('exit', code => { this.exited = true; for (const p of this.pending.values()) p.reject(new Error(`chromium exited (${code})`)); });
    this.pending = new Map();
    this.listeners = [];
    this.next = 1;
    this.buf = Buffer.alloc(0);
    this.proc.stdio[4].on('data', d => {
      this.buf = Buffer.concat([this.buf, d]);
      for (let i; (i = this.buf.indexOf(0)) >= 0;) {
        const msg = JSON.parse(this.buf.subarray(0, i).toString());
        this.buf = this.buf.subarray(i + 1);
        if (msg.id && this.pending.has(msg.id)) {
          const p = this.pending.get(msg.id);
          this.pending.delete(msg.id);
          if (msg.error) p.reject(new Error(`${p.method}: ${msg.error.message}`)); else p.resolve(msg.result);
        } else {
          for (const l of this.listeners) l(msg);
        }
      }
    });
  }

  send(method, params = {}, sessionId = this.session) {
    const id = this.next++;
    const msg = { id, method, params };
    if (sessionId) msg.sessionId = sessionId;
    this.proc.stdio[3].write(JSON.stringify(msg) + '\0');
    return new Promise((resolve, reject) => this.pending.set(id, { resolve, reject, method }));
  }

  async open(width, height) {
    const { targetId } = await this.send('Target.createTarget', { url: 'about:blank' }, null);
    this.session = (await this.send('Target.attachToTarget', { targetId, flatten: true }, null)).sessionId;
    this.errors = [];
    this.listeners.push(m => {
      if (m.method === 'Runtime.exceptionThrown') this.errors.push(m.params.exceptionDetails.exception?.description || m.params.exceptionDetails.text);
      if (m.method === 'Runtime.consoleAPICalled' && m.params.type === 'error') this.errors.push(m.params.args.map(a => a.value).join(' '));
    });
    await this.send('Runtime.enable');
    await this.send('Page.enable');
    await this.send('Emulation.setDeviceMetricsOverride', { width, height, deviceScaleFactor: 1, mobile: false });
  }

  async eval(expr) {
    const r = await this.send('Runtime.evaluate', { expression: expr, awaitPromise: true, returnByValue: true });
    if (r.exceptionDetails) throw new Error(`${expr.slice(0, 60)}: ${r.exceptionDetails.exception?.description || r.exceptionDetails.text}`);
    return r.result.value;
  }

  async load(url) {
    await this.send('Page.navigate', { url: 'about:blank' });
    await this.send('Page.navigate', { url });
    const t0 = Date.now();
    for (;;) {
      const s = await this.eval('window.pg ? (window.pg.failed || window.pg.ready) : false').catch(() => false);
      if (s === true) return;
      if (typeof s === 'string') throw new Error('the page failed: ' + s);
      if (Date.now() - t0 > 60000) throw new Error('the page did not start in 60 s');
      await sleep(50);
    }
  }

  /* Ends chromium, waits for it (2 s at most) and removes its profile. */
  async close() {
    if (!this.exited) {
      const gone = new Promise(r => this.proc.once('exit', r));
      try { this.proc.kill('SIGTERM'); } catch (e) { /* gone already */ }
      await Promise.race([gone, sleep(2000)]);
    }
    fs.closeSync(this.log);
    fs.rmSync(this.profile, { recursive: true, force: true });
  }
}

const sleep = ms => new Promise(r => setTimeout(r, ms));

/* ---------------------------------------------------------- the checks -------------- */

/* Plays for `seconds`, and on until every side has taken minSteps steps or until(summary) holds:
   what a check asks of the training is a number of steps, never a speed; the page's time limit
   (LIMIT_SECONDS) only stops a run that hangs. */
const LIMIT_SECONDS = 120, PERFECT_STEPS = 3000;
async function trainFor(b, seconds, minSteps = 300, until = null) {
  const t0 = Date.now();
  await b.eval('pg.play()');
  await sleep(seconds * 1000);
  for (;;) {
    const s = await b.eval('pg.summary()');
    if (until ? until(s) : s.every(r => r.error || r.step >= minSteps)) break;
    if (Date.now() - t0 > LIMIT_SECONDS * 1000) break;
    await sleep(100);
  }
  await b.eval('pg.pause()');
  await sleep(150);   /* a last frame draws */
  return b.eval('pg.summary()');
}

async function main() {
  const b = new Browser();
  const deadline = setTimeout(async () => {
    console.log('FAIL the browser test took more than 15 minutes (a page that hangs)');
    await b.close();
    process.exit(1);
  }, 900000);
  try {
    await b.open(1400, 1000);
    await b.load(page);
    const info = await b.eval('pg.rules'), rules = info.map(r => r.name);
    check(rules.length >= 6 && ['bp', 'fa', 'dfa', 'dtp', 'sdtp', 'aosdtp'].every(r => rules.includes(r)),
          'the page lists every rule', rules.join(' '));
    const named = f => info.filter(r => r[f]).map(r => r.name);
    check(['dtp', 'sdtp', 'aosdtp'].every(r => named('inverses').includes(r) && named('noise').includes(r) &&
          named('ownopt').includes(r) && named('targets').includes(r)) && named('aux').includes('aosdtp') &&
          named('alpha').includes('dtp') && !named('alpha').includes('sdtp') &&
          ['bp', 'fa', 'dfa'].every(r => !named('inverses').includes(r) && !named('targets').includes(r)),
          'what each rule offers', Object.keys(info[0]).filter(f => f !== 'name').map(f => `${f}: ${named(f).join(' ')}`).join('; '));
    const defaults = await b.eval('pg.encode(pg.setting)');

    /* every rule, alone, on the spirals; then DTP in the alternating schedule and SDTP with
       hybrid targets */
    const runs = rules.map(r => [r, 'parallel', 0]).concat([['dtp', 'alternating', 0], ['sdtp', 'parallel', 0.5]]);
    for (const [rule, schedule, hybrid] of runs) {
      const s = await b.eval(`(() => { const s = pg.decode(''); s.compare = false; s.a.rule = ${JSON.stringify(rule)};
                              s.a.schedule = ${JSON.stringify(schedule)}; s.a.hybrid = ${hybrid}; return s; })()`);
      await b.eval(`pg.apply(pg.encode(${JSON.stringify(s)}))`);
      const about = await b.eval(`(() => { const a = document.querySelector('.side:not(.hidden) .about');
                                   return { text: a.textContent, svg: a.querySelectorAll('svg path[marker-end]').length }; })()`);
      if (schedule === 'parallel' && !hybrid)
        check(about.text.includes(info.find(i => i.name === rule).summary || '?') && /[12][0-9]{3}/.test(about.text) && about.svg > 0,
              `${rule}: the page says what it does, who published it when, and draws its error's path`,
              `${about.text.slice(0, 90)}... (${about.svg} arrows)`);
      const before = await b.eval('pg.regionsHash(0)');
      const [r] = await trainFor(b, SECONDS);
      const after = await b.eval('pg.regionsHash(0)');
      const name = `${rule}${schedule === 'alternating' ? ' alternating' : ''}${hybrid ? ' hybrid ' + hybrid : ''}`;
      const ri = info.find(i => i.name === rule);
      check(!r.error && r.step > 0 && r.last.loss < 0.5 * r.first.loss, `${name}: the loss fell`,
            `${r.first.loss.toFixed(4)} -> ${r.last.loss.toFixed(4)} in ${r.step} steps (${Math.round(r.step / (r.playMs / 1000))} steps/s)` +
            (r.error ? ', ' + r.error : ''));
      check(before !== after, `${name}: the decision regions changed`);
      check(r.plotted.angle > 0 && r.lastDiag && r.lastDiag.angle.length === r.layers && r.lastDiag.angle.every(a => Number.isNaN(a) || (a >= 0 && a <= 180)),
            `${name}: the angle chart has points`, `${r.plotted.angle} points, last ${r.lastDiag ? r.lastDiag.angle.map(a => a.toFixed(1)).join(' ') : '-'} degrees`);
      if (rule === 'bp') check(r.lastDiag.angle.every(a => Number.isNaN(a) || a < 1),
                               'bp: its update is the BP gradient (angles ~0, or none once the gradient is zero)');
      if (ri.inverses || ri.targets)
        check((!ri.inverses || r.plotted.recon > 0) && (!ri.targets || r.plotted.target > 0),
              `${name}: its ${[ri.inverses && 'reconstruction', ri.targets && 'target'].filter(Boolean).join(' and ')} charts have points`,
              `recon ${r.lastDiag.recon.map(v => v.toExponential(1)).join(' ')}, target ${r.lastDiag.target.map(v => v.toExponential(1)).join(' ')}`);
    }

    /* steps per second of BP alone on the default net, for the README */
    {
      const s = await b.eval(`(() => { const s = pg.decode(''); s.compare = false; return pg.encode(s); })()`);
      await b.eval(`pg.apply(${JSON.stringify(s)})`);
      const [r] = await trainFor(b, 5, 0, s => s[0].perfect || s[0].step >= PERFECT_STEPS);
      const rate = r.step / (r.playMs / 1000);
      check(r.perfect && r.perfect.step <= PERFECT_STEPS, `bp alone on the default net reaches 100% training accuracy within ${PERFECT_STEPS} steps`,
            r.perfect ? `step ${r.perfect.step} after ${r.perfect.seconds.toFixed(2)} s` : 'not reached');
      console.log(`     bp alone, default net: ${r.step} steps in ${(r.playMs / 1000).toFixed(2)} s of wall time = ${Math.round(rate)} steps/s ` +
                  `(${Math.round(r.step / (r.trainMs / 1000))} steps/s inside pg_train), final loss ${r.last.loss.toExponential(2)}`);
    }

    /* the default page: BP beside DTP on the spirals; its screenshot */
    {
      await b.load(page);
      const [bp, dtp] = await trainFor(b, 6, 0, s => s[0].perfect || s[0].step >= PERFECT_STEPS);
      check(bp.rule === 'bp' && dtp && dtp.rule === 'dtp', 'the default page puts bp beside dtp');
      check(bp.perfect && bp.perfect.step <= PERFECT_STEPS, `default page: bp reaches 100% training accuracy within ${PERFECT_STEPS} steps`,
            bp.perfect ? `step ${bp.perfect.step} after ${bp.perfect.seconds.toFixed(2)} s, ${Math.round(bp.rate)} steps/s beside dtp's ${Math.round(dtp.rate)}` : 'not reached');
      const png = await b.send('Page.captureScreenshot', { format: 'png', captureBeyondViewport: false });
      fs.writeFileSync(shot, Buffer.from(png.data, 'base64'));
      console.log(`     screenshot: ${shot}`);
    }

    /* links: a setting unlike the defaults in every key survives a fresh load, and a changed
       control lands in the link */
    {
      const s = {
        data: 'moons', noise: 0.1, depth: 2, width: 24, act: 'relu', batch: 32, seed: 5, compare: true,
        a: { rule: 'fa', schedule: 'alternating', lr: 0.01, ilr: 0.002, alpha: 0.05, sigma: 0.2, hybrid: 0.25, aux: 16, decay: 0.001 },
        b: { rule: 'aosdtp', schedule: 'alternating', lr: 0.0005, ilr: 0.004, alpha: 0.3, sigma: 0.15, hybrid: 0.5, aux: 32, decay: 0.002 },
      };
      const hash = await b.eval(`pg.encode(${JSON.stringify(s)})`);
      check(hash !== defaults, 'a non-default setting has its own link');
      await b.load(page + hash);
      const got = await b.eval('({ hash: location.hash, setting: pg.setting, ' +
        'controls: [...document.querySelectorAll("#controls [id], .side:not(.hidden) [data-k]")].map(e => e.type === "checkbox" ? e.checked : e.value) })');
      check(got.hash === hash, 'the link round-trips through a fresh load', got.hash);
      check(JSON.stringify(got.setting) === JSON.stringify(s), 'the loaded setting equals the one encoded');
      check(got.controls.includes('moons') && got.controls.includes('relu') && got.controls.includes('aosdtp') &&
            got.controls.includes('0.25') && got.controls.includes('0.0005'), 'the controls show the linked setting');
      await b.eval(`(() => { const e = document.querySelector('[data-side=b] [data-k=sigma]'); e.value = '0.33';
                    e.dispatchEvent(new Event('change')); })()`);
      const h2 = await b.eval('location.hash');
      check(h2.includes('b.sigma=0.33') && h2 === hash.replace('b.sigma=0.15', 'b.sigma=0.33'), 'a changed control lands in the link');
      await b.load(page + h2);
      const v = await b.eval("document.querySelector('[data-side=b] [data-k=sigma]').value");
      check(v === '0.33', 'and that link restores it', v);
    }
    /* side by side, both rules start from one point: the same forward weights, the same loss */
    {
      const s = await b.eval(`(() => { const s = pg.decode(''); s.compare = true; s.a.rule = 'bp'; s.b.rule = 'fa';
                              return pg.encode(s); })()`);
      await b.eval(`pg.apply(${JSON.stringify(s)})`);
      const [l, r] = await b.eval('pg.summary()');
      check(l.first && r.first && l.first.loss === r.first.loss && l.first.err === r.first.err,
            'bp beside fa: both start from the same forward weights', `loss at step 0: ${l.first.loss} and ${r.first.loss}`);
      const [fa] = (await trainFor(b, 2, 200)).slice(1);
      check(fa.plotted.feedback > 0 && fa.lastDiag.feedback.slice(0, -1).every(a => a >= 0 && a <= 180),
            'fa: the feedback-to-W angle chart draws', `${fa.plotted.feedback} points, last ${fa.lastDiag.feedback.map(a => a.toFixed(1)).join(' ')} degrees`);
    }

    /* the layout: side by side at 1,024 px, one column at a phone's 390, no chart under 200 px wide,
       and the charts redrawn at their new size */
    for (const [w, cols] of [[1024, 2], [390, 1]]) {
      await b.send('Emulation.setDeviceMetricsOverride', { width: w, height: 900, deviceScaleFactor: 1, mobile: w < 700 });
      await sleep(300);
      const got = await b.eval(`(() => {
        const sides = [...document.querySelectorAll('.side:not(.hidden)')];
        const charts = [...document.querySelectorAll('.side:not(.hidden) canvas')].map(c => c.getBoundingClientRect().width);
        const drawn = [...document.querySelectorAll('.side:not(.hidden) canvas.chart')].every(c => Math.abs(c.width - c.clientWidth) <= 1);
        return { tops: sides.map(e => Math.round(e.getBoundingClientRect().top)), narrowest: Math.min(...charts), drawn,
                 overflow: document.documentElement.scrollWidth > window.innerWidth + 1 };
      })()`);
      if (w === 1024) {   /* the projector's view, beside the 1,400 px screenshot */
        const png = await b.send('Page.captureScreenshot', { format: 'png', captureBeyondViewport: false });
        fs.writeFileSync(shot.replace(/\.png$/, '-1024.png'), Buffer.from(png.data, 'base64'));
      }
      const columns = new Set(got.tops).size === 1 ? got.tops.length : 1;
      check(columns === cols && got.narrowest >= 200 && got.drawn && !got.overflow,
            `at ${w} px: ${cols === 2 ? 'two columns' : 'one column'}, every chart at least 200 px wide and redrawn, nothing wider than the page`,
            `${columns} column(s), narrowest canvas ${Math.round(got.narrowest)} px, redrawn ${got.drawn}, overflow ${got.overflow}`);
    }
    await b.send('Emulation.setDeviceMetricsOverride', { width: 1400, height: 1000, deviceScaleFactor: 1, mobile: false });

    /* the harder problems, noise, the held-out split, the slow speed and the summary row */
    for (const data of ['spirals6', 'checker']) {
      await b.eval(`pg.apply(pg.encode(Object.assign(pg.decode(''), { data: '${data}', noise: 0.05, compare: false })))`);
      const [r] = await trainFor(b, 2, 300);
      const got = await b.eval(`({ k: pg.sides[0].k, summary: document.querySelector('.side .summary').textContent,
                                   status: document.querySelector('.side .status').textContent })`);
      check(!r.error && r.last.loss < r.first.loss && r.last.tloss > 0 && r.last.terr >= 0 && r.plotted.loss > 0 &&
            got.k === (data === 'spirals6' ? 6 : 2) && /held-out error/.test(got.summary) && /held out/.test(got.status),
            `${data} with noise 0.05: trains, with a held-out split plotted and a summary row`,
            `${got.k} classes, loss ${r.first.loss.toFixed(3)} -> ${r.last.loss.toFixed(3)}, held-out error ${(100 * r.last.terr).toFixed(1)}%; ${got.summary}`);
    }
    {
      await b.eval(`pg.apply(pg.encode(Object.assign(pg.decode(''), { compare: false })))`);
      await b.eval(`(() => { const e = document.getElementById('speed-mode'); e.value = 'slow'; e.dispatchEvent(new Event('change')); })()`);
      await b.eval('pg.play()');
      await sleep(1000);
      await b.eval('pg.pause()');
      const [r] = await b.eval('pg.summary()');
      await b.eval(`document.getElementById('speed-mode').value = 'full'`);
      check(r.step > 0 && r.step <= 120, 'the slow speed takes a step a frame', `${r.step} steps in about a second`);
    }

    /* each lesson's link loads its setting and trains */
    {
      const lessons = await b.eval('pg.lessons()');
      check(lessons.length >= 5, 'the page offers five lessons or more', lessons.map(l => l.id).join(' '));
      for (const lesson of lessons) {
        await b.eval(`document.querySelector('a[data-lesson=${lesson.id}]').click()`);
        await sleep(200);
        const hash = await b.eval('location.hash');
        const rs = await trainFor(b, 1, 100);
        check(hash === lesson.hash && rs.every(r => !r.error && r.step >= 100 && r.last.loss < r.first.loss),
              `lesson "${lesson.title}": its link loads and trains`, rs.map(r => `${r.rule} ${r.first.loss.toFixed(3)} -> ${r.last.loss.toFixed(3)}`).join(', '));
        const mean = a => a ? (a.filter(v => v >= 0).reduce((x, y) => x + y, 0) / a.filter(v => v >= 0).length).toFixed(1) : '-';
        console.log(`     lesson ${lesson.id}: ` + rs.map(r => `${r.rule}: step ${r.step}, error ${(100 * r.last.err).toFixed(1)}%, ` +
                    `angles to BP ${r.lastDiag ? r.lastDiag.angle.map(v => v.toFixed(0)).join('/') : '-'}, ` +
                    `first ${r.diag0 ? r.diag0.map(v => v.toFixed(0)).join('/') : '-'}, feedback to W ${mean(r.lastDiag && r.lastDiag.feedback)}`).join('; '));
      }
    }

    /* a link with values out of range: the defaults stand in, and the page says so */
    {
      await b.load(page + '#width=300&a.lr=20&data=nowhere');
      const got = await b.eval(`({ width: pg.setting.width, lr: pg.setting.a.lr, data: pg.setting.data,
                                   message: document.getElementById('message').textContent })`);
      check(got.width === 64 && got.lr === 0.003 && got.data === 'spirals' && /"300", expected a whole number from 2 to 256/.test(got.message) &&
            /"20", expected 0 to 10/.test(got.message) && /"nowhere", expected spirals/.test(got.message),
            'a link with values out of range says which, and keeps the defaults', got.message);
    }

    /* every control's "?" shows what it does, by keyboard as by pointer */
    {
      const got = await b.eval(`(() => {
        const btns = [...document.querySelectorAll('.side:not(.hidden) button.help, #controls button.help')];
        const b0 = btns[0], note = document.getElementById(b0.getAttribute('aria-controls'));
        b0.focus();
        b0.click();
        const shown = !note.classList.contains('hidden') && b0.getAttribute('aria-expanded') === 'true' && note.textContent.length > 10;
        b0.click();
        return { n: btns.length, shown, hidden: note.classList.contains('hidden') };
      })()`);
      check(got.n >= 8 && got.shown && got.hidden, 'each control has a "?" that shows and hides what it does', `${got.n} buttons`);
    }

    /* a value a control cannot take is refused with a message, and the setting stays */
    {
      const before = await b.eval('pg.setting.width');
      await b.eval(`(() => { const e = document.getElementById('width'); e.value = '300'; e.dispatchEvent(new Event('change')); })()`);
      const got = await b.eval(`({ width: pg.setting.width, shown: document.getElementById('width').value,
                                  message: document.getElementById('message').textContent,
                                  visible: !document.getElementById('message').classList.contains('hidden') })`);
      check(got.width === before && got.shown === String(before) && got.visible && /width 300 is not taken: expected a whole number from 2 to 256/.test(got.message),
            'an out-of-range width is refused with a message', got.message);
      await b.eval(`(() => { const e = document.querySelector('[data-side=a] [data-k=lr]'); e.value = '20'; e.dispatchEvent(new Event('change')); })()`);
      const lr = await b.eval(`({ lr: pg.setting.a.lr, message: document.getElementById('message').textContent })`);
      check(lr.lr !== 20 && /learning rate 20 is not taken/.test(lr.message), 'a learning rate of 20 is refused with a message', lr.message);
    }
    check(b.errors.length === 0, 'no script errors', b.errors.slice(0, 3).join(' | '));
  } catch (e) {
    check(false, 'the browser test ran to the end', e.stack || String(e));
  }
  clearTimeout(deadline);
  await b.close();
  console.log(`${passed} passed, ${failed} failed`);
  process.exit(failed ? 1 : 0);
}

main();
