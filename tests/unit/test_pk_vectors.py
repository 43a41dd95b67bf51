#!/usr/bin/python3
# SPDX-License-Identifier: MIT
# test_pk_vectors.py: writes test_pk_vectors.h, small numpy/joblib pickles made by this machine's numpy and joblib for test_pk_numpy.c.
# Run: /usr/bin/python3 tests/unit/test_pk_vectors.py > tests/unit/test_pk_vectors.h
import io, pickle, sys
import numpy as np
import joblib

def jl(obj, **kw):
    b = io.BytesIO()
    joblib.dump(obj, b, **kw)
    return b.getvalue()

def jl_file(obj):
    # joblib pads for alignment only when the file object can tell()
    import tempfile, os
    fd, p = tempfile.mkstemp()
    os.close(fd)
    joblib.dump(obj, p)
    d = open(p, 'rb').read()
    os.unlink(p)
    return d

node = np.dtype([('left_child', '<i8'), ('right_child', '<i8'), ('feature', '<i8'),
                 ('threshold', '<f8'), ('impurity', '<f8'), ('n_node_samples', '<i8'),
                 ('weighted_n_node_samples', '<f8')])
nodes = np.zeros(3, dtype=node)
nodes['left_child'] = [1, -1, -1]
nodes['threshold'] = [0.5, -2, -2]
a23 = np.arange(6.0).reshape(2, 3)
vec = {
    'c_f8_p2': pickle.dumps(a23, protocol=2),
    'c_f8_p4': pickle.dumps(a23, protocol=4),
    'c_f8_p5': pickle.dumps(a23, protocol=5),
    'f_f8_p4': pickle.dumps(np.asfortranarray(a23), protocol=4),
    'f_f8_p5': pickle.dumps(np.asfortranarray(a23), protocol=5),
    'be_i4_p2': pickle.dumps(np.arange(4, dtype='>i4'), protocol=2),
    'u_p4': pickle.dumps(np.array(['ab', 'c']), protocol=4),
    's_p4': pickle.dumps(np.array([b'xy', b'z']), protocol=4),
    'bool_p4': pickle.dumps(np.array([True, False, True]), protocol=4),
    'c16_p4': pickle.dumps(np.array([1 + 2j]), protocol=4),
    'obj_p4': pickle.dumps(np.array(['x', 7], dtype=object), protocol=4),
    'struct_p4': pickle.dumps(nodes, protocol=4),
    'struct_p2': pickle.dumps(nodes, protocol=2),
    'scalar_p4': pickle.dumps(np.float64(1.5), protocol=4),
    'scalar_p2': pickle.dumps(np.int64(-3), protocol=2),
    'dict_p0': pickle.dumps({'a': np.arange(3.0)}, protocol=0),
    'jl_aligned': jl_file({'a': np.arange(5.0), 'f': np.asfortranarray(a23)}),
    'jl_stream': jl({'a': np.arange(5.0)}),
    'jl_obj': jl_file({'o': np.array(['p', 'q'], dtype=object)}),
    'jl_zlib': jl({'a': np.arange(5.0)}, compress=3),
}
out = sys.stdout
out.write('/* SPDX-License-Identifier: MIT */\n')
out.write('/* test_pk_vectors.h: numpy %s / joblib %s pickles for test_pk_numpy.c, written by test_pk_vectors.py. */\n'
          % (np.__version__, joblib.__version__))
out.write('#include <stddef.h>\n#include <stdint.h>\n')
for k, v in vec.items():
    out.write('static const uint8_t pkv_%s[%d] = {' % (k, len(v)))
    for i, b in enumerate(v):
        if i % 16 == 0:
            out.write('\n   ')
        out.write(' 0x%02x,' % b)
    out.write('\n};\n')
