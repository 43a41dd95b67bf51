#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The example plugin (samples/plugin-example) as its users meet it: skconv
installed into a temporary prefix, the plugin built out of tree against that
prefix through pkg-config only, loaded through SKCONV_PLUGIN_PATH, models
converted to C with `skconv model.pkl -o model.c`, the C compiled with cc and
run, and its outputs compared with sklearn's (fixtures made here by
python3-sklearn) and with skconv's reference evaluator (hand-built IR models,
tests/sdk/c_ir_cases.c). Prints TAP; everything is made under one temporary
directory that is removed at the end (--keep keeps it)."""

import argparse
import glob
import math
import os
import pickle
import re
import resource
import shlex
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
REL_TOL = 1e-9        # against sklearn (the task's contract)
EVAL_TOL = 1e-12      # against skconv's evaluator: the same operations in the same order
ABS_FLOOR = 1e-15     # below this, a difference of values near 0 is rounding
BIG_FOREST_MAX_S = 60.0   # CPU seconds of cc -O2 for ~380,000 nodes (about 7 s today)

CFLAGS = ['-std=c99', '-Wall', '-Wextra', '-Wpedantic', '-Werror', '-O2']
# Stricter still, for the generated file compiled on its own.
CFLAGS_STRICT = CFLAGS + ['-Wshadow', '-Wmissing-prototypes', '-Wstrict-prototypes',
                          '-Wconversion', '-Wcast-qual']


class Tap:
    def __init__(self):
        self.n = 0
        self.failed = 0

    def ok(self, cond, desc, diag=None):
        self.n += 1
        print('%sok %d - %s' % ('' if cond else 'not ', self.n, desc))
        if not cond:
            self.failed += 1
        if diag and (not cond or os.environ.get('VERBOSE')):
            self.diag(diag)
        sys.stdout.flush()
        return cond

    def skip(self, desc, why):
        self.n += 1
        print('ok %d - %s # SKIP %s' % (self.n, desc, why))
        sys.stdout.flush()

    def diag(self, text):
        for line in str(text).rstrip().splitlines()[-40:]:
            print('# ' + line)
        sys.stdout.flush()

    def done(self):
        print('1..%d' % self.n)
        return 1 if self.failed else 0


def run(cmd, env=None, cwd=None, stdin=None, timeout=1200):
    p = subprocess.run(cmd, env=env, cwd=cwd, input=stdin, capture_output=True,
                       text=True, timeout=timeout)
    return p.returncode, p.stdout, p.stderr


def cc_cmd():
    return shlex.split(os.environ.get('CC', 'cc'))


# ---- installing skconv and building the plugin -------------------------------

def install_skconv(tap, src, work):
    build, prefix = os.path.join(work, 'skconv-build'), os.path.join(work, 'prefix')
    rc, out, err = run(['meson', 'setup', build, src, '--prefix', prefix,
                        '-Dtests=disabled', '-Dbuildtype=plain'])
    if rc == 0:
        rc, out, err = run(['meson', 'install', '-C', build, '--quiet'])
    if not tap.ok(rc == 0, 'skconv builds and installs into a temporary prefix', out + err):
        return None
    pcs = glob.glob(os.path.join(prefix, '**', 'pkgconfig', 'skconv.pc'), recursive=True)
    skconv = os.path.join(prefix, 'bin', 'skconv')
    if not tap.ok(len(pcs) == 1 and os.access(skconv, os.X_OK),
                  'the prefix holds bin/skconv and one skconv.pc', repr(pcs)):
        return None
    pcdir = os.path.dirname(pcs[0])
    libdir = os.path.dirname(pcdir)
    env = dict(os.environ, PKG_CONFIG_PATH=pcdir)
    _, plugindir, _ = run(['pkg-config', '--variable=plugindir', 'skconv'], env=env)
    _, abi, _ = run(['pkg-config', '--variable=abi_version', 'skconv'], env=env)
    plugindir, abi = plugindir.strip(), abi.strip()
    tap.ok(plugindir.startswith(prefix + os.sep) and abi == '1',
           'skconv.pc gives the plugin directory inside the prefix and ABI 1',
           'plugindir=%r abi_version=%r' % (plugindir, abi))
    return {'prefix': prefix, 'pcdir': pcdir, 'libdir': libdir, 'skconv': skconv,
            'plugindir': plugindir, 'pkg_env': env}


def build_example(tap, src, work, sdk):
    exsrc = os.path.join(src, 'samples', 'plugin-example')
    exbuild = os.path.join(work, 'example-build')
    rc, out, err = run(['meson', 'setup', exbuild, exsrc, '-Dwerror=true'], env=sdk['pkg_env'])
    if rc == 0:
        rc, out, err = run(['meson', 'compile', '-C', exbuild], env=sdk['pkg_env'])
    module = os.path.join(exbuild, 'skconv-example.so')
    if not tap.ok(rc == 0 and os.path.exists(module),
                  'the example builds out of tree, warning-free, against the installed SDK',
                  out + err):
        return None
    # Nothing of the skconv source tree may reach the compiler: only the
    # prefix's headers, as for any third-party plugin.
    try:
        with open(os.path.join(exbuild, 'compile_commands.json')) as f:
            cmds = f.read()
    except OSError:
        cmds = ''
    tap.ok(cmds and os.path.join(src, 'core') not in cmds and sdk['prefix'] in cmds,
           'the example compiles with the prefix\'s headers, not the source tree\'s')
    stage = os.path.join(work, 'stage')
    rc, out, err = run(['meson', 'install', '-C', exbuild, '--destdir', stage, '--quiet'],
                       env=sdk['pkg_env'])
    staged = stage + os.path.join(sdk['plugindir'], 'skconv-example.so')
    tap.ok(rc == 0 and os.path.exists(staged),
           'meson install puts the module in pkg-config\'s plugindir', out + err + staged)
    return exbuild


def skconv_env(sdk, exbuild):
    # The installed skconv has an rpath to its libskconv; c_ir_cases,
    # built here, has not.
    env = dict(os.environ)
    env['LD_LIBRARY_PATH'] = sdk['libdir'] + (
        ':' + env['LD_LIBRARY_PATH'] if env.get('LD_LIBRARY_PATH') else '')
    env['SKCONV_PLUGIN_PATH'] = exbuild
    return env


def check_listing(tap, sdk, env):
    rc, out, err = run([sdk['skconv'], 'formats'], env=env)
    tap.ok(rc == 0 and re.search(r'^c\s+-W\S*\s+c\s+dependency-free C source$', out, re.M),
           '`skconv formats` lists the writer format "c"', out + err)
    tap.ok(re.search(r'^pickle\s', out, re.M),
           'the installed skconv reads pickles (its own plugin directory)', out + err)
    rc, out, err = run([sdk['skconv'], 'formats', '-v'], env=env)
    tap.ok(rc == 0 and re.search(r'^\s+write prefix=string \[default skc\]', out, re.M),
           '`skconv formats -v` lists the writer option prefix', out + err)
    rc, out, err = run([sdk['skconv'], 'plugins'], env=env)
    tap.ok(rc == 0 and 'skconv-example.so' in out and 'formats: c' in out,
           '`skconv plugins` lists the example module', out + err)


# ---- compiling and running generated C ----------------------------------------

def compile_and_run(model_dir, rows_text):
    """Compile model.c on its own (strict warnings) and inside the harness;
    run the harness on the rows. Returns (error, output lines, seconds)."""
    model_c = os.path.join(model_dir, 'model.c')
    # CPU seconds, not wall time: test machines run many jobs at once.
    r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    rc, out, err = run(cc_cmd() + CFLAGS_STRICT + ['-c', model_c, '-o',
                                                   os.path.join(model_dir, 'model.o')])
    r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    secs = (r1.ru_utime + r1.ru_stime) - (r0.ru_utime + r0.ru_stime)
    if rc:
        return 'cc model.c: ' + out + err, None, secs
    prog = os.path.join(model_dir, 'harness')
    rc, out, err = run(cc_cmd() + CFLAGS + ['-I', model_dir, os.path.join(HERE, 'c_harness.c'),
                                            '-o', prog, '-lm'])
    if rc:
        return 'cc harness: ' + out + err, None, secs
    rc, out, err = run([prog], stdin=rows_text)
    if rc:
        return 'harness: ' + out + err, None, secs
    return None, out.splitlines(), secs


def rel_diff(a, b):
    if math.isnan(a) or math.isnan(b):
        return 0.0 if math.isnan(a) and math.isnan(b) else math.inf
    if a == b:
        return 0.0
    return abs(a - b) / max(abs(b), 1e-300)


def close(a, b, tol):
    """Within @p tol relative, or ABS_FLOOR absolute for values near 0
    (tiny probabilities that sklearn and C both compute as 1 - p)."""
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    return a == b or abs(a - b) <= tol * abs(b) or abs(a - b) <= ABS_FLOOR


def run_ir_cases(tap, sdk, exbuild, work):
    outdir = os.path.join(work, 'ir-cases')
    os.makedirs(outdir)
    prog = os.path.join(work, 'c_ir_cases')
    _, cflags, _ = run(['pkg-config', '--cflags', 'skconv'], env=sdk['pkg_env'])
    _, libs, _ = run(['pkg-config', '--libs', 'skconv'], env=sdk['pkg_env'])
    rc, out, err = run(cc_cmd() + ['-std=c11', '-Wall', '-Wextra', '-Wpedantic', '-Werror',
                                   '-D_POSIX_C_SOURCE=200809L'] + shlex.split(cflags) +
                       [os.path.join(HERE, 'c_ir_cases.c'), '-o', prog] +
                       shlex.split(libs) + ['-lm'])
    if not tap.ok(rc == 0, 'the IR case builder compiles against the installed SDK',
                  out + err):
        return
    env = skconv_env(sdk, exbuild)
    rc, out, err = run([prog, os.path.join(exbuild, 'skconv-example.so'), outdir], env=env)
    models = []
    for line in out.splitlines():
        m = re.match(r'^(not )?ok - (.*)$', line)
        if m:
            tap.ok(not m.group(1), 'C API: ' + m.group(2))
        elif line.startswith('model '):
            models.append(line[6:])
    tap.ok(rc == 0 and models, 'the IR case builder ran', out + err)
    for name in models:
        d = os.path.join(outdir, name)
        with open(os.path.join(d, 'rows.csv')) as f:
            rows = f.read()
        with open(os.path.join(d, 'expected.tsv')) as f:
            expected = [l.split('\t') for l in f.read().splitlines()]
        error, got, _ = compile_and_run(d, rows)
        if error:
            tap.ok(False, 'IR model %s: generated C compiles and runs' % name, error)
            continue
        worst, bad, exact = 0.0, [], True
        for i, (g, e) in enumerate(zip(got, expected)):
            g = g.split('\t')
            gl, gv = g[1], [float(v) for v in g[3:]]
            el, ev = e[0], [float(v) for v in e[1:]]
            if gl != el or len(gv) != len(ev):
                bad.append('row %d: label %r, evaluator %r' % (i, gl, el))
                continue
            for a, b in zip(gv, ev):
                worst = max(worst, rel_diff(a, b))
                exact = exact and (a == b or (math.isnan(a) and math.isnan(b)))
                if not close(a, b, EVAL_TOL):
                    bad.append('row %d: %r, evaluator %r' % (i, a, b))
        if len(got) != len(expected):
            bad.append('%d rows out, %d expected' % (len(got), len(expected)))
        tap.ok(not bad, 'IR model %s: C matches skconv\'s evaluator on %d rows '
               '(max rel diff %.3g%s)' % (name, len(expected), worst,
                                          ', bit-identical' if exact else ''),
               '\n'.join(bad[:20]))


# ---- sklearn fixtures -------------------------------------------------------------

def make_fixtures():
    """(name, fitted estimator, test rows, boundary thresholds or None, compile-time bound)."""
    import numpy as np
    from sklearn import ensemble, linear_model, pipeline, preprocessing, tree
    from sklearn.datasets import make_classification, make_regression

    Xr, yr = make_regression(n_samples=300, n_features=5, noise=5.0, random_state=1)
    Xr3, yr3 = make_regression(n_samples=300, n_features=5, n_targets=3, random_state=2)
    Xc, yc = make_classification(n_samples=400, n_features=6, n_informative=4,
                                 n_classes=3, random_state=3)
    Xb, yb = make_classification(n_samples=300, n_features=4, random_state=4)
    animals = np.array(['bird', 'cat', 'dog'])[yc]
    yesno = np.array(['no', 'yes'])[yb]
    rng = np.random.RandomState(5)
    Xn = Xc.copy()
    Xn[rng.rand(*Xn.shape) < 0.1] = np.nan
    Xrn = Xr.copy()
    Xrn[rng.rand(*Xrn.shape) < 0.1] = np.nan

    def rows(X, n=60, spread=1.0):
        r = np.random.RandomState(len(X)).permutation(len(X))[:n]
        return X[r] * spread

    fx = [
        ('linreg', linear_model.LinearRegression().fit(Xr, yr), rows(Xr)),
        ('linreg3', linear_model.LinearRegression().fit(Xr3, yr3), rows(Xr3)),
        ('logreg-bin-str', linear_model.LogisticRegression().fit(Xb, yesno), rows(Xb)),
        ('logreg-multi-str', linear_model.LogisticRegression(max_iter=500).fit(Xc, animals),
         rows(Xc)),
        ('logreg-ovr-int', linear_model.LogisticRegression(multi_class='ovr', max_iter=500)
         .fit(Xc, yc * 10 - 7), rows(Xc)),
        ('std-logreg', pipeline.make_pipeline(preprocessing.StandardScaler(),
                                              linear_model.LogisticRegression())
         .fit(Xc, animals), rows(Xc)),
        # Rows past the training range, so the clip matters.
        ('minmax-clip-ridge', pipeline.make_pipeline(preprocessing.MinMaxScaler(clip=True),
                                                     linear_model.Ridge()).fit(Xr, yr),
         rows(Xr, spread=1.7)),
        ('dtc', tree.DecisionTreeClassifier(max_depth=8, random_state=0).fit(Xc, animals),
         rows(Xc)),
        ('dtr', tree.DecisionTreeRegressor(random_state=0).fit(Xr, yr), rows(Xr)),
        ('rfc', ensemble.RandomForestClassifier(n_estimators=25, random_state=0).fit(Xc, yc),
         rows(Xc)),
        ('rfr2', ensemble.RandomForestRegressor(n_estimators=10, random_state=0)
         .fit(Xr3, yr3[:, :2]), rows(Xr3)),
        ('etc', ensemble.ExtraTreesClassifier(n_estimators=15, random_state=0)
         .fit(Xb, yesno), rows(Xb)),
        ('gbr', ensemble.GradientBoostingRegressor(n_estimators=40, random_state=0)
         .fit(Xr, yr), rows(Xr)),
        ('gbc-bin', ensemble.GradientBoostingClassifier(n_estimators=30, random_state=0)
         .fit(Xb, yesno), rows(Xb)),
        ('gbc-multi', ensemble.GradientBoostingClassifier(n_estimators=20, random_state=0)
         .fit(Xc, yc), rows(Xc)),
        ('std-rfc', pipeline.make_pipeline(preprocessing.StandardScaler(),
                                           ensemble.RandomForestClassifier(
                                               n_estimators=10, random_state=0))
         .fit(Xc, animals), rows(Xc)),
        ('hgbr-nan', ensemble.HistGradientBoostingRegressor(max_iter=30, random_state=0)
         .fit(Xrn, yr), rows(Xrn)),
        ('hgbc-nan', ensemble.HistGradientBoostingClassifier(max_iter=20, random_state=0)
         .fit(Xn, animals), rows(Xn)),
        ('ada', ensemble.AdaBoostClassifier(n_estimators=20, random_state=0).fit(Xc, yc),
         rows(Xc)),
        ('bagging', ensemble.BaggingClassifier(n_estimators=8, random_state=0).fit(Xc, yc),
         rows(Xc)),
    ]
    Xbig, ybig = make_regression(n_samples=3000, n_features=10, random_state=6)
    fx.append(('big-forest', ensemble.RandomForestRegressor(n_estimators=100, random_state=0)
               .fit(Xbig, ybig), rows(Xbig, n=200)))
    return [(name, est, np.asarray(x, dtype=np.float64), split_points(est))
            for name, est, x in fx]


def split_points(est):
    """(feature, threshold) pairs of the trees of @p est (not behind a
    scaler): rows at the thresholds and their float32 neighbours test the
    comparison and x_float32 rounding exactly where they matter."""
    import numpy as np
    trees = []
    if hasattr(est, 'tree_'):
        trees = [est]
    elif hasattr(est, 'estimators_') and not hasattr(est, 'estimators_features_'):
        trees = [t for t in np.ravel(np.asarray(est.estimators_, dtype=object))
                 if hasattr(t, 'tree_')]
    pts = []
    for t in trees:
        ft, th = t.tree_.feature, t.tree_.threshold
        pts += [(int(f), float(v)) for f, v in zip(ft, th) if f >= 0]
    if hasattr(est, '_predictors'):
        for it in est._predictors:
            for p in it:
                for node in p.nodes:
                    if not node['is_leaf']:
                        pts.append((int(node['feature_idx']), float(node['num_threshold'])))
    return pts or None


def boundary_rows(x, pts, limit=80):
    import numpy as np
    rng = np.random.RandomState(7)
    out = []
    for k in rng.permutation(len(pts))[:limit]:
        f, t = pts[k]
        f32 = np.float32(t)
        for v in (t, float(f32), float(np.nextafter(f32, np.float32(np.inf))),
                  float(np.nextafter(f32, np.float32(-np.inf))), float(np.nextafter(t, np.inf))):
            r = x[k % len(x)].copy()
            r[f] = v
            out.append(r)
    return np.vstack([x] + out) if out else x


def sklearn_outputs(est, x):
    import numpy as np
    label = est.predict(x)
    if hasattr(est, 'predict_proba') and hasattr(est, 'classes_'):
        return [str(v) for v in label], np.asarray(est.predict_proba(x), dtype=np.float64)
    vals = np.asarray(label, dtype=np.float64)
    return None, vals.reshape(len(x), -1)


def run_fixture(tap, sdk, env, work, name, est, x, pts):
    import numpy as np
    d = os.path.join(work, 'fixtures', name)
    os.makedirs(d)
    pkl, model_c = os.path.join(d, 'model.pkl'), os.path.join(d, 'model.c')
    with open(pkl, 'wb') as f:
        pickle.dump(est, f, protocol=4)
    if pts:
        x = boundary_rows(x, pts)
    rc, out, err = run([sdk['skconv'], pkl, '-o', model_c], env=env)
    if rc != 0:
        # Is it the pickle reader that cannot lift this estimator yet (not
        # this test's business: a skip), or format "c" that refused it?
        rc2, _, err2 = run([sdk['skconv'], pkl, '-o', os.path.join(d, 'model.skm'),
                            '--no-verify'], env=env)
        why = [l for l in err2.splitlines() if 'unsupported' in l]
        if rc2 == 1 and why:
            tap.skip('%s: convert to C' % name, 'the pickle reader: ' + why[-1])
        else:
            tap.ok(False, '%s: skconv converts it to C' % name, out + err + err2)
        return
    tap.ok('not verified' in err, '%s: converted, with the "cannot be read back" warning' % name,
           err)
    labels, values = sklearn_outputs(est, x)
    rows = ''.join(','.join(repr(float(v)) for v in r) + '\n' for r in x)
    error, got, secs = compile_and_run(d, rows)
    if error:
        tap.ok(False, '%s: generated C compiles warning-free and runs' % name, error)
        return
    bad, worst = [], 0.0
    for i, line in enumerate(got):
        g = line.split('\t')
        gv = [float(v) for v in g[3:]]
        if labels is not None and g[1] != labels[i]:
            bad.append('row %d: label %r, sklearn %r' % (i, g[1], labels[i]))
        if len(gv) != values.shape[1]:
            bad.append('row %d: %d values, sklearn %d' % (i, len(gv), values.shape[1]))
            continue
        for a, b in zip(gv, values[i]):
            worst = max(worst, rel_diff(a, float(b)))
            if not close(a, float(b), REL_TOL):
                bad.append('row %d: %r, sklearn %r' % (i, a, float(b)))
    if len(got) != len(x):
        bad.append('%d rows out, %d in' % (len(got), len(x)))
    tap.ok(not bad, '%s: C matches sklearn on %d rows (max rel diff %.3g, cc %.1f s CPU)'
           % (name, len(x), worst, secs), '\n'.join(bad[:20]))
    if name == 'big-forest':
        with open(model_c) as f:
            size = len(f.read())
        tap.ok(secs < BIG_FOREST_MAX_S, 'a forest of %d nodes compiles in %.1f s of CPU '
               '(%.1f MB of C, bound %d s)' % (sum(t.tree_.node_count for t in est.estimators_),
                                               secs, size / 1e6, BIG_FOREST_MAX_S))


def check_prefixes(tap, sdk, env, work, pkl_a, pkl_b):
    """Two models with their own prefixes, compiled separately, linked into
    one program: the API of the header comment without #include."""
    d = os.path.join(work, 'prefixes')
    os.makedirs(d)
    objs = []
    for pkl, prefix in ((pkl_a, 'first'), (pkl_b, 'second_model')):
        c = os.path.join(d, prefix + '.c')
        rc, out, err = run([sdk['skconv'], pkl, '-o', c, '-O', 'prefix=' + prefix], env=env)
        if rc:
            tap.ok(False, 'convert with -O prefix=' + prefix, out + err)
            return
        objs.append(c)
    main = os.path.join(d, 'main.c')
    with open(main, 'w') as f:
        f.write('#include <stdio.h>\n'
                'int first_predict(const double *x, double *values, int *label_index);\n'
                'int second_model_predict(const double *x, double *values, int *label_index);\n'
                'const char *second_model_class_name(int i);\n'
                'int main(void)\n{\n'
                '    double x[16] = { 0 }, v[16];\n    int l = -1;\n\n'
                '    if (first_predict(x, v, NULL) || second_model_predict(x, NULL, &l))\n'
                '        return 1;\n'
                '    printf("%s\\n", second_model_class_name(l));\n    return 0;\n}\n')
    prog = os.path.join(d, 'prog')
    rc, out, err = run(cc_cmd() + CFLAGS + [main] + objs + ['-o', prog, '-lm'])
    if rc == 0:
        rc, out, err = run([prog])
    tap.ok(rc == 0 and out.strip() in ('bird', 'cat', 'dog'),
           'two models with -O prefix=... link into one program', out + err)
    rc, out, err = run([sdk['skconv'], pkl_a, '-o', os.path.join(d, 'bad.c'), '-O',
                        'prefix=no-dash'], env=env)
    tap.ok(rc != 0 and 'prefix' in err and not os.path.exists(os.path.join(d, 'bad.c')),
           'an invalid prefix is refused and nothing is written', err)


def run_sklearn(tap, sdk, env, work):
    try:
        import numpy  # noqa: F401
        import sklearn
    except ImportError as e:
        tap.skip('sklearn fixtures', 'python3-sklearn is not installed (%s)' % e)
        return
    tap.diag('fixtures from sklearn %s' % sklearn.__version__)
    fixtures = make_fixtures()
    for name, est, x, pts in fixtures:
        run_fixture(tap, sdk, env, work, name, est, x, pts)
    fx = os.path.join(work, 'fixtures')
    a, b = os.path.join(fx, 'linreg', 'model.pkl'), os.path.join(fx, 'std-rfc', 'model.pkl')
    if os.path.exists(os.path.join(fx, 'std-rfc', 'model.c')):
        check_prefixes(tap, sdk, env, work, a, b)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--source-root', default=os.path.dirname(os.path.dirname(HERE)))
    ap.add_argument('--keep', action='store_true', help='keep the temporary directory')
    args = ap.parse_args()
    tap = Tap()
    for tool in ['meson', 'ninja', 'pkg-config', cc_cmd()[0]]:
        if not shutil.which(tool):
            tap.skip('plugin example', '%s is not installed' % tool)
            return tap.done()
    work = tempfile.mkdtemp(prefix='skconv-sdk-')
    try:
        sdk = install_skconv(tap, os.path.abspath(args.source_root), work)
        exbuild = sdk and build_example(tap, os.path.abspath(args.source_root), work, sdk)
        if exbuild:
            env = skconv_env(sdk, exbuild)
            check_listing(tap, sdk, env)
            run_ir_cases(tap, sdk, exbuild, work)
            run_sklearn(tap, sdk, env, work)
    finally:
        if args.keep:
            tap.diag('kept ' + work)
        else:
            shutil.rmtree(work, ignore_errors=True)
    return tap.done()


if __name__ == '__main__':
    sys.exit(main())
