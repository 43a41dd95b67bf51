#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""check_reader.py: `skconv predict` on hand-built ONNX graphs against ONNX Runtime.

Each case builds a small graph with onnx.helper (shaped like what skl2onnx
or skconv writes, or exercising one operator family), runs it through
`skconv predict model.onnx --input X.npy` (the ONNX reader and the mirror
ops) and through onnxruntime-node (tests/onnx/ort_run.js), and compares
every output: float32 outputs within |a-b| <= 1e-5 + 1e-5*|b|, float64
within 1e-12 relative, labels and strings exactly. Output is TAP; exit 77
when node or onnxruntime-node is missing.

    check_reader.py --skconv build/cli/skconv --node-modules DIR --workdir DIR [-k NAME] [-v]
"""
import argparse
import csv
import json
import math
import os
import shutil
import subprocess
import sys

import numpy as np
import onnx
from onnx import TensorProto as T
from onnx import helper as h
from onnx import numpy_helper as nh

CASES = []


def case(name, opset=17, ml=3, ir=8):
    def deco(fn):
        CASES.append((name, fn, opset, ml, ir))
        return fn
    return deco


def vi(name, elem, shape):
    return h.make_tensor_value_info(name, elem, shape)


def model(nodes, inputs, outputs, inits=(), opset=17, ml=3, ir=8):
    g = h.make_graph(nodes, 'g', inputs, outputs, list(inits))
    ops = [h.make_opsetid('', opset)]
    if any(n.domain == 'ai.onnx.ml' for n in nodes):
        ops.append(h.make_opsetid('ai.onnx.ml', ml))
    m = h.make_model(g, opset_imports=ops)
    m.ir_version = ir
    return m


def c(name, arr, dtype=np.float32):
    return nh.from_array(np.asarray(arr, dtype=dtype), name)


def rng(seed=0):
    return np.random.RandomState(seed)


def xf(n=40, f=4, seed=0, scale=1.0):
    """Rows exactly representable in float32 (both sides see the same)."""
    return (rng(seed).randn(n, f) * scale).astype(np.float32).astype(np.float64)


X4 = vi('X', T.FLOAT, [None, 4])

# ---------------------------------------------------------------------------
# Generic ai.onnx operators
# ---------------------------------------------------------------------------


@case('matmul_add_softmax_argmax')
def _():
    w = rng(1).randn(4, 3)
    nodes = [h.make_node('MatMul', ['X', 'W'], ['xw']), h.make_node('Add', ['xw', 'B'], ['s']),
             h.make_node('Softmax', ['s'], ['p'], axis=1),
             h.make_node('ArgMax', ['s'], ['label'], axis=1, keepdims=0)]
    return model(nodes, [X4], [vi('p', T.FLOAT, None), vi('label', T.INT64, None)],
                 [c('W', w), c('B', [0.1, -0.2, 0.3])]), xf()


@case('gemm_relu_tanh_sigmoid_mlp')
def _():
    r = rng(2)
    nodes = [h.make_node('Gemm', ['X', 'W1', 'B1'], ['h1'], transB=1),
             h.make_node('Relu', ['h1'], ['a1']),
             h.make_node('Gemm', ['a1', 'W2', 'B2'], ['h2'], alpha=0.5, beta=2.0),
             h.make_node('Tanh', ['h2'], ['a2']),
             h.make_node('MatMul', ['a2', 'W3'], ['h3']),
             h.make_node('Sigmoid', ['h3'], ['y'])]
    return model(nodes, [X4], [vi('y', T.FLOAT, None)],
                 [c('W1', r.randn(8, 4)), c('B1', r.randn(8)), c('W2', r.randn(8, 5)),
                  c('B2', r.randn(1, 5)), c('W3', r.randn(5, 2))]), xf()


@case('double_matmul_logsoftmax')
def _():
    nodes = [h.make_node('MatMul', ['X', 'W'], ['s']),
             h.make_node('LogSoftmax', ['s'], ['y'], axis=-1),
             h.make_node('Exp', ['y'], ['e'])]
    return model(nodes, [vi('X', T.DOUBLE, [None, 4])], [vi('y', T.DOUBLE, None), vi('e', T.DOUBLE, None)],
                 [c('W', rng(3).randn(4, 3), np.float64)]), xf()


@case('softmax_opset11_coerced', opset=11)
def _():
    nodes = [h.make_node('Reshape', ['X', 'shp'], ['x3']),
             h.make_node('Softmax', ['x3'], ['y'], axis=1),
             h.make_node('Hardmax', ['x3'], ['hm'], axis=2)]
    return model(nodes, [X4], [vi('y', T.FLOAT, None), vi('hm', T.FLOAT, None)],
                 [c('shp', [-1, 2, 2], np.int64)], opset=11), xf()


def unary(ops, extra=()):
    nodes, outs = [], []
    for o in ops:
        nodes.append(h.make_node(o, ['X'], [o.lower()]))
        outs.append(vi(o.lower(), T.FLOAT, None))
    for n in extra:
        nodes.append(n)
        outs.append(vi(n.output[0], T.FLOAT, None))
    x = xf(scale=3.0)
    x[0, :] = [0.5, -0.5, 1.5, -2.5]
    return model(nodes, [X4], outs), x


@case('unary_family')
def _():
    return unary(['Neg', 'Abs', 'Exp', 'Relu', 'Sigmoid', 'Tanh', 'Softplus', 'Softsign', 'Erf', 'Sign',
                  'Floor', 'Ceil', 'Round', 'Sin', 'Cos', 'Atan'])


@case('unary_family_2')
def _():
    return unary(['Abs'], [h.make_node('Sqrt', ['abs'], ['sqrt']), h.make_node('Log', ['abs'], ['log']),
                           h.make_node('Reciprocal', ['abs'], ['recip']),
                           h.make_node('LeakyRelu', ['X'], ['leaky'], alpha=0.2),
                           h.make_node('Elu', ['X'], ['elu'], alpha=0.7),
                           h.make_node('HardSigmoid', ['X'], ['hsig'])])


@case('binary_broadcast_variadic')
def _():
    nodes = [h.make_node('Add', ['X', 'row'], ['add']), h.make_node('Sub', ['col', 'X'], ['sub']),
             h.make_node('Mul', ['X', 'sc'], ['mul']), h.make_node('Div', ['X', 'row'], ['div']),
             h.make_node('Abs', ['X'], ['ax']), h.make_node('Pow', ['ax', 'p'], ['pow']),
             h.make_node('Max', ['X', 'row', 'col'], ['max']), h.make_node('Min', ['X', 'row'], ['min']),
             h.make_node('Sum', ['X', 'row', 'sc'], ['sum']), h.make_node('Mean', ['X', 'col'], ['mean']),
             h.make_node('PRelu', ['X', 'row'], ['prelu'])]
    outs = [vi(n, T.FLOAT, None) for n in ['add', 'sub', 'mul', 'div', 'pow', 'max', 'min', 'sum',
                                           'mean', 'prelu']]
    return model(nodes, [X4], outs,
                 [c('row', [1.0, -2.0, 0.5, 3.0]), c('col', [[0.5]]), c('sc', 1.5),
                  c('p', [2.0, 0.5, 3.0, 1.5])]), xf()


@case('compare_logic_where_isnan')
def _():
    nodes = [h.make_node('Greater', ['X', 'z'], ['gt']), h.make_node('Less', ['X', 'z'], ['lt']),
             h.make_node('GreaterOrEqual', ['X', 'z'], ['ge']), h.make_node('LessOrEqual', ['X', 'z'], ['le']),
             h.make_node('Equal', ['X', 'X'], ['eq']),
             h.make_node('And', ['gt', 'eq'], ['and']), h.make_node('Or', ['lt', 'ge'], ['or']),
             h.make_node('Xor', ['gt', 'le'], ['xor']), h.make_node('Not', ['gt'], ['not']),
             h.make_node('IsNaN', ['X'], ['nan']),
             h.make_node('Where', ['nan', 'fill', 'X'], ['filled']),
             h.make_node('Cast', ['gt'], ['gtf'], to=T.FLOAT)]
    outs = [vi(n, T.BOOL, None) for n in ['gt', 'lt', 'ge', 'le', 'eq', 'and', 'or', 'xor', 'not', 'nan']]
    outs += [vi('filled', T.FLOAT, None), vi('gtf', T.FLOAT, None)]
    x = xf()
    x[1, 2] = np.nan
    x[3, 0] = np.nan
    x[4, 1] = 0.0
    return model(nodes, [X4], outs, [c('z', 0.0), c('fill', [-1.0, -2.0, -3.0, -4.0])]), x


@case('clip_variants')
def _():
    nodes = [h.make_node('Clip', ['X', 'lo', 'hi'], ['both']), h.make_node('Clip', ['X', 'lo'], ['lo_only']),
             h.make_node('Clip', ['X', '', 'hi'], ['hi_only']), h.make_node('Clip', ['X'], ['none'])]
    outs = [vi(n, T.FLOAT, None) for n in ['both', 'lo_only', 'hi_only', 'none']]
    return model(nodes, [X4], outs, [c('lo', -0.5), c('hi', 0.75)]), xf()


@case('clip_opset6_attrs', opset=10)
def _():
    nodes = [h.make_node('Clip', ['X'], ['y'], min=-0.3, max=0.4)]
    return model(nodes, [X4], [vi('y', T.FLOAT, None)], opset=10), xf()


@case('shape_ops')
def _():
    nodes = [h.make_node('Reshape', ['X', 's1'], ['r']),           # [N, 2, 2]
             h.make_node('Transpose', ['r'], ['t'], perm=[0, 2, 1]),
             h.make_node('Flatten', ['t'], ['f'], axis=1),
             h.make_node('Unsqueeze', ['X', 'ax1'], ['u']),        # [N, 1, 4]
             h.make_node('Squeeze', ['u', 'ax1'], ['sq']),
             h.make_node('Concat', ['X', 'f', 'sq'], ['cat'], axis=1),
             h.make_node('Gather', ['X', 'gi'], ['g'], axis=1),
             h.make_node('Slice', ['X', 'st', 'en', 'axs', 'stp'], ['sl']),
             h.make_node('Slice', ['X', 'st2', 'en2', 'axs'], ['sl2']),
             h.make_node('Shape', ['X'], ['shp']),
             h.make_node('Gather', ['shp', 'zero'], ['nrows']),
             h.make_node('Expand', ['row', 'eshape'], ['ex']),
             h.make_node('Tile', ['X', 'rep'], ['tl']),
             h.make_node('GatherElements', ['X', 'gei'], ['ge'], axis=1),
             h.make_node('Identity', ['X'], ['id']),
             h.make_node('Size', ['X'], ['size'])]
    outs = [vi(n, T.FLOAT, None) for n in ['r', 't', 'f', 'cat', 'g', 'sl', 'sl2', 'ex', 'tl', 'ge', 'id']]
    outs += [vi('shp', T.INT64, None), vi('size', T.INT64, None)]
    gei = rng(5).randint(0, 4, size=(40, 2))
    return model(nodes, [X4], outs,
                 [c('s1', [-1, 2, 2], np.int64), c('ax1', [1], np.int64), c('gi', [3, 0, -1], np.int64),
                  c('st', [3], np.int64), c('en', [0], np.int64), c('axs', [1], np.int64),
                  c('stp', [-2], np.int64), c('st2', [-3], np.int64), c('en2', [100], np.int64),
                  c('zero', 0, np.int64), c('row', [[1.0, 2.0, 3.0]]), c('eshape', [2, 1, 3], np.int64),
                  c('rep', [1, 2], np.int64), c('gei', gei, np.int64)]), xf()


@case('squeeze_unsqueeze_opset11', opset=11)
def _():
    nodes = [h.make_node('Unsqueeze', ['X'], ['u'], axes=[0, 3]),
             h.make_node('Squeeze', ['u'], ['s'], axes=[0]),
             h.make_node('Slice', ['X'], ['sl'], starts=[1], ends=[3], axes=[1]) if False else
             h.make_node('Identity', ['s'], ['sl'])]
    return model(nodes, [X4], [vi('s', T.FLOAT, None), vi('sl', T.FLOAT, None)], opset=11), xf()


@case('slice_opset9_attrs', opset=9)
def _():
    nodes = [h.make_node('Slice', ['X'], ['sl'], starts=[1, 1], ends=[1000, 3], axes=[0, 1])]
    return model(nodes, [X4], [vi('sl', T.FLOAT, None)], opset=9), xf()


@case('reduce_family_opset13', opset=13)
def _():
    nodes = [h.make_node('ReduceSum', ['X', 'ax'], ['sum']),
             h.make_node('ReduceSum', ['X'], ['sumall'], keepdims=0),
             h.make_node('ReduceMean', ['X'], ['mean'], axes=[1]),
             h.make_node('ReduceMax', ['X'], ['max'], axes=[1], keepdims=0),
             h.make_node('ReduceMin', ['X'], ['min'], axes=[0]),
             h.make_node('ReduceProd', ['X'], ['prod'], axes=[1]),
             h.make_node('ReduceLogSumExp', ['X'], ['lse'], axes=[1]),
             h.make_node('ReduceSumSquare', ['X'], ['ssq'], axes=[1]),
             h.make_node('ReduceL1', ['X'], ['l1'], axes=[1]),
             h.make_node('ReduceL2', ['X'], ['l2'], axes=[1])]
    outs = [vi(n, T.FLOAT, None) for n in ['sum', 'sumall', 'mean', 'max', 'min', 'prod', 'lse', 'ssq',
                                           'l1', 'l2']]
    return model(nodes, [X4], outs, [c('ax', [1], np.int64)], opset=13), xf()


@case('argmax_topk_cumsum', opset=13)
def _():
    nodes = [h.make_node('ArgMin', ['X'], ['amin'], axis=1),
             h.make_node('ArgMax', ['X'], ['amax_last'], axis=0, keepdims=0, select_last_index=1),
             h.make_node('TopK', ['X', 'k'], ['tv', 'ti'], axis=1),
             h.make_node('TopK', ['X', 'k'], ['bv', 'bi'], axis=1, largest=0),
             h.make_node('CumSum', ['X', 'cax'], ['cs']),
             h.make_node('CumSum', ['X', 'cax'], ['csr'], exclusive=1, reverse=1)]
    outs = [vi(n, T.FLOAT, None) for n in ['tv', 'bv', 'cs', 'csr']]
    outs += [vi(n, T.INT64, None) for n in ['amin', 'amax_last', 'ti', 'bi']]
    x = xf()
    x[2, :] = [1.0, 1.0, 0.5, 1.0]
    return model(nodes, [X4], outs, [c('k', [2], np.int64), c('cax', 1, np.int64)], opset=13), x


@case('reduce_axes_input_opset18', opset=18, ir=8)
def _():
    nodes = [h.make_node('ReduceMax', ['X', 'ax'], ['max']),
             h.make_node('ReduceMean', ['X', 'ax'], ['mean'], keepdims=0),
             h.make_node('ReduceLogSumExp', ['X', 'ax'], ['lse']),
             h.make_node('ReduceSumSquare', ['X', 'ax'], ['ssq'])]
    outs = [vi(n, T.FLOAT, None) for n in ['max', 'mean', 'lse', 'ssq']]
    return model(nodes, [X4], outs, [c('ax', [1], np.int64)], opset=18), xf()


@case('cast_family')
def _():
    nodes = [h.make_node('Mul', ['X', 'k'], ['xk']),
             h.make_node('Cast', ['xk'], ['i'], to=T.INT64),
             h.make_node('Cast', ['xk'], ['d'], to=T.DOUBLE),
             h.make_node('Cast', ['i'], ['s'], to=T.STRING),
             h.make_node('Cast', ['s'], ['back'], to=T.INT64),
             h.make_node('Cast', ['xk'], ['i32'], to=T.INT32),
             h.make_node('Cast', ['i32'], ['f2'], to=T.FLOAT),
             h.make_node('Cast', ['xk'], ['b'], to=T.BOOL),
             h.make_node('Add', ['i', 'i'], ['i2']),
             h.make_node('Div', ['i', 'three'], ['idiv']),
             h.make_node('Mod', ['i', 'three'], ['imod']),
             h.make_node('Neg', ['i'], ['ineg'])]
    outs = [vi('i', T.INT64, None), vi('d', T.DOUBLE, None), vi('s', T.STRING, None),
            vi('back', T.INT64, None), vi('f2', T.FLOAT, None), vi('b', T.BOOL, None),
            vi('i2', T.INT64, None), vi('idiv', T.INT64, None), vi('imod', T.INT64, None),
            vi('ineg', T.INT64, None)]
    return model(nodes, [X4], outs, [c('k', 10.0), c('three', 3, np.int64)]), xf()


@case('constants_range_onehot')
def _():
    nodes = [h.make_node('Constant', [], ['cf'], value_floats=[1.0, 2.0, 3.0, 4.0]),
             h.make_node('Constant', [], ['ci'], value_int=3),
             h.make_node('Constant', [], ['ct'], value=nh.from_array(np.array([0.5], np.float32))),
             h.make_node('Mul', ['X', 'cf'], ['m']), h.make_node('Add', ['m', 'ct'], ['y']),
             h.make_node('Shape', ['X'], ['shp']),
             h.make_node('ConstantOfShape', ['shp'], ['z'],
                         value=nh.from_array(np.array([2.5], np.float32))),
             h.make_node('Range', ['r0', 'ci', 'r1'], ['rg']),
             h.make_node('ArgMax', ['X'], ['am'], axis=1, keepdims=0),
             h.make_node('OneHot', ['am', 'depth', 'vals'], ['oh'])]
    outs = [vi('y', T.FLOAT, None), vi('z', T.FLOAT, None), vi('rg', T.INT64, None),
            vi('oh', T.FLOAT, None)]
    return model(nodes, [X4], outs, [c('r0', 0, np.int64), c('r1', 1, np.int64), c('depth', 4, np.int64),
                                     c('vals', [0.0, 1.0])]), xf()


@case('int64_input_graph')
def _():
    x = vi('X', T.INT64, [None, 3])
    nodes = [h.make_node('Mul', ['X', 'k'], ['m']), h.make_node('Cast', ['m'], ['f'], to=T.FLOAT),
             h.make_node('ReduceSum', ['X', 'ax'], ['s'])]
    xi = rng(7).randint(-5, 6, size=(20, 3)).astype(np.float64)
    return model(nodes, [x], [vi('m', T.INT64, None), vi('f', T.FLOAT, None), vi('s', T.INT64, None)],
                 [c('k', [2, -1, 3], np.int64), c('ax', [1], np.int64)]), xi


@case('unsorted_nodes_and_empty_output')
def _():
    nodes = [h.make_node('Add', ['a', 'B'], ['y']), h.make_node('Mul', ['X', 'W'], ['a'])]
    return model(nodes, [X4], [vi('y', T.FLOAT, None)], [c('W', [1, 2, 3, 4]), c('B', 0.5)]), xf()

@case('control_flow_if_loop')
def _():
    # If on a reduced condition; Loop with a carried value, a scan output
    # and a body reading an outer value (W).
    then_g = h.make_graph([h.make_node('Mul', ['X', 'two'], ['t_out'])], 'then', [],
                          [vi('t_out', T.FLOAT, None)])
    else_g = h.make_graph([h.make_node('Neg', ['X'], ['e_out'])], 'else', [],
                          [vi('e_out', T.FLOAT, None)])
    body = h.make_graph([h.make_node('Add', ['acc_in', 'W'], ['acc_out']),
                         h.make_node('Identity', ['cond_in'], ['cond_out']),
                         h.make_node('Cast', ['i'], ['i_f'], to=T.FLOAT),
                         h.make_node('Mul', ['acc_out', 'i_f'], ['scan_out'])], 'body',
                        [vi('i', T.INT64, []), vi('cond_in', T.BOOL, []), vi('acc_in', T.FLOAT, None)],
                        [vi('cond_out', T.BOOL, []), vi('acc_out', T.FLOAT, None),
                         vi('scan_out', T.FLOAT, None)])
    nodes = [h.make_node('ReduceSum', ['X'], ['tot'], keepdims=0),
             h.make_node('Greater', ['tot', 'zero'], ['pos']),
             h.make_node('If', ['pos'], ['branch'], then_branch=then_g, else_branch=else_g),
             h.make_node('Loop', ['trip', 'cond', 'X'], ['final', 'stacked'], body=body)]
    outs = [vi('branch', T.FLOAT, None), vi('final', T.FLOAT, None), vi('stacked', T.FLOAT, None)]
    return model(nodes, [X4], outs, [c('two', 2.0), c('zero', 0.0), c('trip', 3, np.int64),
                                     c('cond', True, np.bool_), c('W', [0.5, 1.0, -1.0, 2.0])],
                 opset=13), xf(5)


@case('scan_pairwise_distances_knn')
def _():
    # skl2onnx's kNN without CDist: Scan over the rows of X computing the
    # squared distances to every training point, then TopK.
    r = rng(41)
    train = r.randn(7, 4)
    body = h.make_graph([h.make_node('Sub', ['next_in', 'next'], ['diff']),
                         h.make_node('ReduceSumSquare', ['diff'], ['scan_out'], axes=[1], keepdims=0),
                         h.make_node('Identity', ['next_in'], ['next_out'])], 'body',
                        [vi('next_in', T.FLOAT, [7, 4]), vi('next', T.FLOAT, [4])],
                        [vi('next_out', T.FLOAT, [7, 4]), vi('scan_out', T.FLOAT, [7])])
    nodes = [h.make_node('Scan', ['TR', 'X'], ['tr_out', 'dist'], num_scan_inputs=1, body=body),
             h.make_node('Neg', ['dist'], ['nd']),
             h.make_node('TopK', ['nd', 'k'], ['vals', 'idx'], axis=1),
             h.make_node('Gather', ['y', 'idx'], ['labels']),
             h.make_node('Cast', ['labels'], ['lf'], to=T.FLOAT),
             h.make_node('ReduceMean', ['lf'], ['pred'], axes=[1], keepdims=0)]
    outs = [vi('dist', T.FLOAT, None), vi('idx', T.INT64, None), vi('pred', T.FLOAT, None)]
    return model(nodes, [X4], outs, [c('TR', train), c('k', [3], np.int64),
                                     c('y', [0, 1, 1, 0, 2, 2, 1], np.int64)], opset=13), xf(12)


@case('nan_semantics')
def _():
    nodes = [h.make_node('Max', ['X', 'z'], ['max']), h.make_node('Min', ['X', 'z'], ['min']),
             h.make_node('Clip', ['X', 'lo', 'hi'], ['clip']), h.make_node('Relu', ['X'], ['relu']),
             h.make_node('Sign', ['X'], ['sign']), h.make_node('Round', ['X'], ['round']),
             h.make_node('ReduceMax', ['X'], ['rmax'], axes=[1]),
             h.make_node('ArgMax', ['X'], ['amax'], axis=1),
             h.make_node('Softmax', ['X'], ['sm'], axis=1)]
    outs = [vi(n, T.FLOAT, None) for n in ['max', 'min', 'clip', 'relu', 'sign', 'round', 'rmax', 'sm']]
    outs.append(vi('amax', T.INT64, None))
    x = xf(8)
    x[1, 1] = np.nan
    x[2, :] = [0.5, 1.5, 2.5, -0.5]
    x[3, 0] = np.nan
    return model(nodes, [X4], outs, [c('z', 0.0), c('lo', -0.5), c('hi', 0.5)], opset=13), x


@case('binarizer_default_threshold', ml=1)
def _():
    nodes = [h.make_node('Binarizer', ['X'], ['b'], domain='ai.onnx.ml')]
    x = xf()
    x[0, :] = [1.0, 0.999, 1.001, 0.0]
    return model(nodes, [X4], [vi('b', T.FLOAT, None)], ml=1), x


# ---------------------------------------------------------------------------
# ai.onnx.ml operators, shaped as skl2onnx writes them
# ---------------------------------------------------------------------------


@case('text_tokenizer_normalizer_tfidf')
def _():
    # skconv's text_vectorize graph (plugins/onnx/onnx_ops_text.c): tokens
    # by a tokenexp of \x{..} classes, lowercased, counted; plus
    # TfIdfVectorizer's other modes and skip-grams, and a Tokenizer with
    # plain literals, groups and counted repetition.
    word = '[0-9A-Z_a-z\\x{C0}-\\x{D6}\\x{D8}-\\x{12F}\\x{131}-\\x{2C1}\\x{391}-\\x{3A1}\\x{3A3}-\\x{3FF}\\x{400}-\\x{4FF}\\x{4E00}-\\x{9FFF}]'
    pool = ['cafe', 'café', 'the', 'i', 'istanbul', 'stanbul', 'ab', 'привет', 'мир', '日本語',
            'the', 'cat', 'привет', 'мир']
    nodes = [h.make_node('Reshape', ['X', 'm1'], ['x1']),
             h.make_node('Tokenizer', ['x1'], ['tok'], domain='com.microsoft', mark=0, mincharnum=2,
                         pad_value='#', tokenexp=word + '*\\x{130}|' + word + '+'),
             h.make_node('Shape', ['tok'], ['ts']),
             h.make_node('Reshape', ['tok', 'm1'], ['tf']),
             h.make_node('StringNormalizer', ['tf'], ['tl'], case_change_action='LOWER',
                         is_case_sensitive=1, locale='C.UTF-8'),
             h.make_node('StringNormalizer', ['tf'], ['tn'], case_change_action='NONE'),
             h.make_node('Reshape', ['tl', 'ts'], ['tokens']),
             h.make_node('TfIdfVectorizer', ['tokens'], ['tf_counts'], mode='TF', min_gram_length=1,
                         max_gram_length=2, max_skip_count=0, ngram_counts=[0, 10],
                         ngram_indexes=[0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11], pool_strings=pool),
             h.make_node('TfIdfVectorizer', ['tokens'], ['tfidf_skip'], mode='TFIDF', min_gram_length=2,
                         max_gram_length=2, max_skip_count=2, ngram_counts=[0, 10],
                         ngram_indexes=[0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 3, 1],
                         weights=[0.5, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11], pool_strings=pool),
             h.make_node('TfIdfVectorizer', ['tokens'], ['idf'], mode='IDF', min_gram_length=1,
                         max_gram_length=1, max_skip_count=0, ngram_counts=[0],
                         ngram_indexes=[2, 0, 1], weights=[0.25, 2, 4], pool_strings=pool[:3]),
             h.make_node('Tokenizer', ['x1'], ['tok2'], domain='com.microsoft', mark=0, mincharnum=1,
                         pad_value='', tokenexp='(?:ab|c\\.)+|[x-z]{2,3}|q?d')]
    texts = ['The cat sat on the CAFÉ mat', 'İstanbul İİ istanbul xİstanbul', 'привет МИР, привет!',
             '日本語テキスト', '', '!!!', 'a b c', 'ab ab ab abc.c.d xyzzy dd', 'The the THE cat',
             'snake_case_word 3d 42 café', 'Σ ΣΑΣ ΟΔΟΣ. όσος']
    x = np.array(texts, dtype=object).reshape(-1, 1)
    outs = [vi('tokens', T.STRING, None), vi('tn', T.STRING, None), vi('tf_counts', T.FLOAT, None),
            vi('tfidf_skip', T.FLOAT, None), vi('idf', T.FLOAT, None), vi('tok2', T.STRING, None)]
    m = model(nodes, [vi('X', T.STRING, [None, 1])], outs, [c('m1', [-1], np.int64)])
    m.opset_import.append(h.make_opsetid('com.microsoft', 1))
    return m, x


def zipmap_pair(nodes, probs, labels_int=None, labels_str=None):
    """ZipMap as skl2onnx appends it; ORT runs the model without it (the
    node API cannot return a sequence of maps) and the test compares the
    ZipMap output, lifted as a tensor, with the probabilities."""
    kw = {'classlabels_int64s': labels_int} if labels_int is not None else {'classlabels_strings': labels_str}
    nodes.append(h.make_node('ZipMap', [probs], ['output_probability'], domain='ai.onnx.ml', **kw))


def lr_binary():
    r = rng(11)
    w = r.randn(4)
    b = 0.3
    nodes = [h.make_node('LinearClassifier', ['X'], ['label', 'raw'], domain='ai.onnx.ml',
                         coefficients=list(-w) + list(w), intercepts=[-b, b], classlabels_ints=[0, 1],
                         multi_class=0, post_transform='LOGISTIC'),
             h.make_node('Normalizer', ['raw'], ['probabilities'], domain='ai.onnx.ml', norm='L1')]
    return nodes


@case('skl2onnx_logreg_binary_zipmap', ml=1)
def _():
    nodes = lr_binary()
    zipmap_pair(nodes, 'probabilities', labels_int=[0, 1])
    seqmap = onnx.TypeProto()
    seqmap.sequence_type.elem_type.map_type.key_type = T.INT64
    seqmap.sequence_type.elem_type.map_type.value_type.tensor_type.elem_type = T.FLOAT
    outs = [vi('label', T.INT64, [None]), h.make_value_info('output_probability', seqmap)]
    m = model(nodes, [X4], outs, ml=1)
    ort = model(lr_binary(), [X4], [vi('label', T.INT64, [None]), vi('probabilities', T.FLOAT, None)], ml=1)
    return m, xf(), {'ort_model': ort, 'rename': {'output_probability': 'probabilities'}}


@case('linear_classifier_variants', ml=1)
def _():
    r = rng(12)
    w3 = list(r.randn(12))
    w1 = list(r.randn(4))
    nodes = [h.make_node('LinearClassifier', ['X'], ['l3', 'p3'], domain='ai.onnx.ml', coefficients=w3,
                         intercepts=[0.1, 0.2, -0.3], classlabels_strings=['a', 'b', 'c'],
                         post_transform='SOFTMAX'),
             h.make_node('LinearClassifier', ['X'], ['l3n', 'p3n'], domain='ai.onnx.ml', coefficients=w3,
                         intercepts=[0.1, 0.2, -0.3], classlabels_ints=[5, 7, 9]),
             h.make_node('LinearClassifier', ['X'], ['l3l', 'p3l'], domain='ai.onnx.ml', coefficients=w3,
                         intercepts=[0.1, 0.2, -0.3], classlabels_ints=[5, 7, 9], post_transform='LOGISTIC'),
             h.make_node('LinearClassifier', ['X'], ['l1', 'p1'], domain='ai.onnx.ml', coefficients=w1,
                         intercepts=[0.05], classlabels_ints=[3, 8]),
             h.make_node('LinearClassifier', ['X'], ['l1s', 'p1s'], domain='ai.onnx.ml', coefficients=w1,
                         intercepts=[0.05], classlabels_strings=['no', 'yes'], post_transform='LOGISTIC')]
    outs = []
    for l, p in [('l3', 'p3'), ('l3n', 'p3n'), ('l3l', 'p3l'), ('l1', 'p1'), ('l1s', 'p1s')]:
        outs += [vi(l, T.STRING if l in ('l3', 'l1s') else T.INT64, None), vi(p, T.FLOAT, None)]
    x = xf()
    x[:, :] /= 5.0
    return model(nodes, [X4], outs, ml=1), x.astype(np.float32).astype(np.float64)


@case('linear_regressor_scaler_chain', ml=1)
def _():
    r = rng(13)
    nodes = [h.make_node('Scaler', ['X'], ['xs'], domain='ai.onnx.ml', offset=list(r.randn(4)),
                         scale=list(r.rand(4) + 0.5)),
             h.make_node('LinearRegressor', ['xs'], ['y1'], domain='ai.onnx.ml',
                         coefficients=list(r.randn(4)), intercepts=[0.7]),
             h.make_node('LinearRegressor', ['xs'], ['y2'], domain='ai.onnx.ml', targets=2,
                         coefficients=list(r.randn(8)), intercepts=[0.7, -1.0], post_transform='SOFTMAX'),
             h.make_node('Scaler', ['X'], ['x1'], domain='ai.onnx.ml', offset=[0.5], scale=[2.0])]
    outs = [vi('xs', T.FLOAT, None), vi('y1', T.FLOAT, None), vi('y2', T.FLOAT, None), vi('x1', T.FLOAT, None)]
    return model(nodes, [X4], outs, ml=1), xf()


@case('scaler_double_input', ml=1)
def _():
    nodes = [h.make_node('Scaler', ['X'], ['y'], domain='ai.onnx.ml', offset=[0.1, 0.2, 0.3, 0.4],
                         scale=[3.0, 0.7, 1.1, 9.0])]
    return model(nodes, [vi('X', T.DOUBLE, [None, 4])], [vi('y', T.FLOAT, None)], ml=1), xf() * 1.234567


@case('normalizer_binarizer_imputer', ml=1)
def _():
    nodes = [h.make_node('Normalizer', ['X'], ['nmax'], domain='ai.onnx.ml', norm='MAX'),
             h.make_node('Normalizer', ['X'], ['nl1'], domain='ai.onnx.ml', norm='L1'),
             h.make_node('Normalizer', ['X'], ['nl2'], domain='ai.onnx.ml', norm='L2'),
             h.make_node('Imputer', ['X'], ['imp'], domain='ai.onnx.ml',
                         imputed_value_floats=[9.0, 8.0, 7.0, 6.0], replaced_value_float=float('nan')),
             h.make_node('Imputer', ['X'], ['imp0'], domain='ai.onnx.ml', imputed_value_floats=[5.0],
                         replaced_value_float=0.0),
             h.make_node('Binarizer', ['imp'], ['bin'], domain='ai.onnx.ml', threshold=0.25)]
    outs = [vi(n, T.FLOAT, None) for n in ['nmax', 'nl1', 'nl2', 'imp', 'imp0', 'bin']]
    x = xf()
    x[0, :] = 0.0
    x[2, 1] = np.nan
    x[5, 3] = 0.0
    m = model(nodes, [X4], outs, ml=1)
    return m, x


@case('encoders_afe_labelencoder', ml=2)
def _():
    nodes = [h.make_node('Mul', ['X', 'k'], ['xk']), h.make_node('Floor', ['xk'], ['fl']),
             h.make_node('Cast', ['fl'], ['cats'], to=T.INT64),
             h.make_node('OneHotEncoder', ['cats'], ['ohe'], domain='ai.onnx.ml',
                         cats_int64s=[-2, -1, 0, 1, 2], zeros=1),
             h.make_node('ArrayFeatureExtractor', ['X', 'idx'], ['afe'], domain='ai.onnx.ml'),
             h.make_node('LabelEncoder', ['cats'], ['names'], domain='ai.onnx.ml',
                         keys_int64s=[-2, -1, 0, 1, 2], values_strings=['mm', 'm', 'z', 'p', 'pp'],
                         default_string='other'),
             h.make_node('LabelEncoder', ['names'], ['codes'], domain='ai.onnx.ml',
                         keys_strings=['m', 'z', 'p'], values_int64s=[10, 20, 30]),
             h.make_node('LabelEncoder', ['names'], ['fcodes'], domain='ai.onnx.ml',
                         keys_strings=['mm', 'pp'], values_floats=[-0.5, 0.5], default_float=9.5),
             h.make_node('CategoryMapper', ['names'], ['cm'], domain='ai.onnx.ml',
                         cats_strings=['z', 'p', 'm'], cats_int64s=[0, 1, 2], default_int64=-7),
             h.make_node('CategoryMapper', ['cm'], ['cmback'], domain='ai.onnx.ml',
                         cats_strings=['z', 'p', 'm'], cats_int64s=[0, 1, 2], default_string='??'),
             h.make_node('OneHotEncoder', ['names'], ['ohs'], domain='ai.onnx.ml',
                         cats_strings=['z', 'p', 'm'], zeros=1),
             h.make_node('FeatureVectorizer', ['X', 'ohe', 'fcodes'], ['fv'], domain='ai.onnx.ml',
                         inputdimensions=[4, 20, 2])]
    outs = [vi('ohe', T.FLOAT, None), vi('afe', T.FLOAT, None), vi('names', T.STRING, None),
            vi('codes', T.INT64, None), vi('fcodes', T.FLOAT, None), vi('cm', T.INT64, None),
            vi('cmback', T.STRING, None), vi('ohs', T.FLOAT, None), vi('fv', T.FLOAT, None)]
    return model(nodes, [X4], outs, [c('k', 1.5), c('idx', [3, 1], np.int64)], ml=2), xf()


def tree_attrs(n_trees, n_feat, r, classes=None, n_targets=1, depth=3, missing=False, modes=None):
    """Random complete binary trees in skl2onnx's attribute layout."""
    a = {k: [] for k in ['nodes_treeids', 'nodes_nodeids', 'nodes_featureids', 'nodes_values',
                         'nodes_modes', 'nodes_truenodeids', 'nodes_falsenodeids',
                         'nodes_missing_value_tracks_true', 'nodes_hitrates']}
    w = {k: [] for k in ['ids', 'nodeids', 'treeids', 'weights']}
    for t in range(n_trees):
        nid = 0

        def build(d):
            nonlocal nid
            me = nid
            nid += 1
            a['nodes_treeids'].append(t)
            a['nodes_nodeids'].append(me)
            a['nodes_hitrates'].append(1.0)
            if d == depth:
                a['nodes_featureids'].append(0)
                a['nodes_values'].append(0.0)
                a['nodes_modes'].append('LEAF')
                a['nodes_truenodeids'].append(0)
                a['nodes_falsenodeids'].append(0)
                a['nodes_missing_value_tracks_true'].append(0)
                k = len(classes) if classes else n_targets
                for j in range(k):
                    w['treeids'].append(t)
                    w['nodeids'].append(me)
                    w['ids'].append(j)
                    w['weights'].append(float(r.rand() if classes else r.randn()))
                return me
            a['nodes_featureids'].append(int(r.randint(n_feat)))
            a['nodes_values'].append(float(np.float32(r.randn() * 0.7)))
            a['nodes_modes'].append(modes[r.randint(len(modes))] if modes else 'BRANCH_LEQ')
            a['nodes_missing_value_tracks_true'].append(int(r.randint(2)) if missing else 0)
            pos = len(a['nodes_truenodeids'])
            a['nodes_truenodeids'].append(0)
            a['nodes_falsenodeids'].append(0)
            a['nodes_truenodeids'][pos] = build(d + 1)
            a['nodes_falsenodeids'][pos] = build(d + 1)
            return me
        build(0)
    return a, w


@case('tree_classifier_rf_multiclass_zipmap', ml=1)
def _():
    r = rng(21)
    a, w = tree_attrs(5, 4, r, classes=[0, 1, 2], missing=True)
    n = h.make_node('TreeEnsembleClassifier', ['X'], ['label', 'probabilities'], domain='ai.onnx.ml',
                    classlabels_int64s=[0, 1, 2], post_transform='NONE', class_ids=w['ids'],
                    class_nodeids=w['nodeids'], class_treeids=w['treeids'], class_weights=w['weights'], **a)
    x = xf(60)
    x[3, :] = np.nan
    x[7, 1] = np.nan
    return model([n], [X4], [vi('label', T.INT64, None), vi('probabilities', T.FLOAT, None)], ml=1), x


@case('tree_classifier_strings_softmax_modes', ml=1)
def _():
    r = rng(22)
    a, w = tree_attrs(4, 4, r, classes=['x', 'y', 'z', 'w'], depth=4,
                      modes=['BRANCH_LEQ', 'BRANCH_LT', 'BRANCH_GTE', 'BRANCH_GT', 'BRANCH_EQ', 'BRANCH_NEQ'])
    n = h.make_node('TreeEnsembleClassifier', ['X'], ['label', 'probabilities'], domain='ai.onnx.ml',
                    classlabels_strings=['x', 'y', 'z', 'w'], post_transform='SOFTMAX',
                    base_values=[0.1, -0.1, 0.2, 0.0], class_ids=w['ids'],
                    class_nodeids=w['nodeids'], class_treeids=w['treeids'], class_weights=w['weights'], **a)
    x = xf(60)
    x[5, :] = a['nodes_values'][0]
    return model([n], [X4], [vi('label', T.STRING, None), vi('probabilities', T.FLOAT, None)], ml=1), x


@case('tree_classifier_gb_binary_logistic', ml=1)
def _():
    # GradientBoostingClassifier (binary): one score per tree on class 1.
    r = rng(23)
    a, w = tree_attrs(6, 4, r, classes=None, n_targets=1, depth=3)
    w['ids'] = [0] * len(w['ids'])
    n = h.make_node('TreeEnsembleClassifier', ['X'], ['label', 'probabilities'], domain='ai.onnx.ml',
                    classlabels_int64s=[0, 1], post_transform='LOGISTIC', base_values=[0.35],
                    class_ids=w['ids'], class_nodeids=w['nodeids'], class_treeids=w['treeids'],
                    class_weights=w['weights'], **a)
    n2 = h.make_node('TreeEnsembleClassifier', ['X'], ['label2', 'p2'], domain='ai.onnx.ml',
                     classlabels_int64s=[4, 9], post_transform='NONE',
                     class_ids=w['ids'], class_nodeids=w['nodeids'], class_treeids=w['treeids'],
                     class_weights=[abs(v) / 10 for v in w['weights']], **a)
    return model([n, n2], [X4], [vi('label', T.INT64, None), vi('probabilities', T.FLOAT, None),
                                 vi('label2', T.INT64, None), vi('p2', T.FLOAT, None)], ml=1), xf(60)


@case('tree_regressor_aggregates', ml=1)
def _():
    r = rng(24)
    nodes, outs = [], []
    for agg in ['SUM', 'AVERAGE', 'MIN', 'MAX']:
        for nt in [1, 3]:
            a, w = tree_attrs(5, 4, r, n_targets=nt, missing=True)
            name = 'y_%s_%d' % (agg.lower(), nt)
            nodes.append(h.make_node('TreeEnsembleRegressor', ['X'], [name], domain='ai.onnx.ml',
                                     n_targets=nt, aggregate_function=agg,
                                     **({'base_values': [0.5] * nt} if agg != 'MAX' else {}),
                                     target_ids=w['ids'], target_nodeids=w['nodeids'],
                                     target_treeids=w['treeids'], target_weights=w['weights'], **a))
            outs.append(vi(name, T.FLOAT, None))
    x = xf(60)
    x[4, 2] = np.nan
    return model(nodes, [X4], outs, ml=1), x


@case('tree_regressor_sparse_weights_unordered', ml=1)
def _():
    # Writers leave out zero weights: a leaf without weights adds its own
    # nodes_values entry with one target (ORT's value_or_unique_weight)
    # and nothing with several. Each model comes in node order (the
    # one-pass build) and shuffled (the sorted fallback).
    r = rng(26)
    nodes, outs = [], []
    for agg in ['SUM', 'MIN']:
        for nt in [1, 3]:
            a, w = tree_attrs(6, 4, r, n_targets=nt, depth=4, missing=True)
            leaves = [i for i, m in enumerate(a['nodes_modes']) if m == 'LEAF']
            for i in leaves[::3]:
                a['nodes_values'][i] = float(np.float32(r.randn()))
            drop = {(a['nodes_treeids'][i], a['nodes_nodeids'][i]) for i in leaves[::3]}
            keep = [k for k in range(len(w['ids'])) if (w['treeids'][k], w['nodeids'][k]) not in drop]
            w = {k: [v[j] for j in keep] for k, v in w.items()}
            for order in ['ordered', 'shuffled']:
                aa, ww = dict(a), dict(w)
                if order == 'shuffled':
                    # Keep each tree's root first (ORT's roots are the first
                    # node of each run of equal tree ids).
                    p = [i for t in reversed(range(6)) for i in
                         [j for j in range(len(a['nodes_treeids'])) if a['nodes_treeids'][j] == t][:1] +
                         list(r.permutation([j for j in range(len(a['nodes_treeids']))
                                             if a['nodes_treeids'][j] == t][1:]))]
                    aa = {k: [v[i] for i in p] for k, v in a.items()}
                    q = list(r.permutation(len(w['ids'])))
                    ww = {k: [v[i] for i in q] for k, v in w.items()}
                name = 'y_%s_%d_%s' % (agg.lower(), nt, order)
                nodes.append(h.make_node('TreeEnsembleRegressor', ['X'], [name], domain='ai.onnx.ml',
                                         n_targets=nt, aggregate_function=agg,
                                         target_ids=ww['ids'], target_nodeids=ww['nodeids'],
                                         target_treeids=ww['treeids'], target_weights=ww['weights'], **aa))
                outs.append(vi(name, T.FLOAT, None))
    x = xf(80)
    x[4, 2] = np.nan
    return model(nodes, [X4], outs, ml=1), x


@case('tree_regressor_double_input_v3', ml=3)
def _():
    r = rng(25)
    a, w = tree_attrs(8, 4, r, n_targets=1, depth=4)
    vals = a.pop('nodes_values')
    a.pop('nodes_hitrates')
    n = h.make_node('TreeEnsembleRegressor', ['X'], ['y'], domain='ai.onnx.ml', n_targets=1,
                    nodes_values_as_tensor=nh.from_array(np.array(vals, np.float64) + 1e-9),
                    target_weights_as_tensor=nh.from_array(np.array(w['weights'], np.float64)),
                    target_ids=w['ids'], target_nodeids=w['nodeids'], target_treeids=w['treeids'], **a)
    return model([n], [vi('X', T.DOUBLE, [None, 4])], [vi('y', T.FLOAT, None)], ml=3), xf(60)


@case('tree_ensemble_v5', opset=21, ml=5, ir=10)
def _():
    # Two trees: one with a BRANCH_MEMBER set and missing tracking, one
    # single-leaf tree; 2 targets, double precision end to end.
    n = h.make_node('TreeEnsemble', ['X'], ['y'], domain='ai.onnx.ml', n_targets=2,
                    aggregate_function=1, post_transform=0, tree_roots=[0, 3],
                    nodes_featureids=[0, 1, 2, 0], nodes_modes=nh.from_array(np.array([0, 6, 3, 0], np.uint8)),
                    nodes_splits=nh.from_array(np.array([0.25, 0.0, -0.5, 0.0], np.float64)),
                    nodes_truenodeids=[1, 0, 3, 4], nodes_trueleafs=[0, 1, 1, 1],
                    nodes_falsenodeids=[2, 1, 4, 4], nodes_falseleafs=[0, 1, 1, 1],
                    nodes_missing_value_tracks_true=[1, 0, 0, 0],
                    membership_values=nh.from_array(np.array([1.0, 2.0, np.nan], np.float64)),
                    leaf_targetids=[0, 1, 0, 1, 1], leaf_weights=nh.from_array(np.array([0.5, -1.25, 2.0, 3.5, 0.125])))
    x = xf(50)
    x[:10, 1] = [1.0, 2.0, 3.0, 1.0, 2.0, 0.0, 1.0, 2.0, 5.0, 1.5]
    x[11, 0] = np.nan
    return model([n], [vi('X', T.DOUBLE, [None, 4])], [vi('y', T.DOUBLE, None)], opset=21, ml=5, ir=10), x


def svm_attrs(r, n_cls, n_feat, sv_per=(3, 4, 2)):
    vpc = list(sv_per[:n_cls])
    nsv = sum(vpc)
    return dict(vectors_per_class=vpc, support_vectors=list(r.randn(nsv * n_feat) * 0.8),
                coefficients=list(r.randn((n_cls - 1) * nsv)),
                rho=list(r.randn(n_cls * (n_cls - 1) // 2) * 0.3))


@case('svm_classifier_kernels', ml=1)
def _():
    r = rng(31)
    nodes, outs = [], []
    for kern, params in [('RBF', [0.3, 0.0, 3.0]), ('POLY', [0.2, 0.5, 3.0]), ('LINEAR', [0.0, 0.0, 0.0]),
                         ('SIGMOID', [0.1, 0.2, 0.0])]:
        for ncls in [2, 3]:
            nm = '%s%d' % (kern.lower(), ncls)
            nodes.append(h.make_node('SVMClassifier', ['X'], ['l_' + nm, 's_' + nm], domain='ai.onnx.ml',
                                     kernel_type=kern, kernel_params=params,
                                     classlabels_ints=list(range(10, 10 + ncls)), **svm_attrs(r, ncls, 4)))
            outs += [vi('l_' + nm, T.INT64, None), vi('s_' + nm, T.FLOAT, None)]
    return model(nodes, [X4], outs, ml=1), xf(40)


@case('svm_classifier_probabilities', ml=1)
def _():
    r = rng(32)
    nodes, outs = [], []
    for ncls in [2, 3]:
        at = svm_attrs(r, ncls, 4)
        npair = ncls * (ncls - 1) // 2
        nm = 'p%d' % ncls
        nodes.append(h.make_node('SVMClassifier', ['X'], ['l_' + nm, 's_' + nm], domain='ai.onnx.ml',
                                 kernel_type='RBF', kernel_params=[0.25, 0.0, 3.0],
                                 classlabels_strings=['c%d' % i for i in range(ncls)],
                                 prob_a=list(-1.0 - r.rand(npair)), prob_b=list(r.randn(npair) * 0.1), **at))
        outs += [vi('l_' + nm, T.STRING, None), vi('s_' + nm, T.FLOAT, None)]
    return model(nodes, [X4], outs, ml=1), xf(40)


@case('svm_linear_mode_and_regressors', ml=1)
def _():
    r = rng(33)
    nodes = [h.make_node('SVMClassifier', ['X'], ['l_lin', 's_lin'], domain='ai.onnx.ml',
                         kernel_type='LINEAR', coefficients=list(r.randn(12)), rho=[0.1],
                         classlabels_ints=[0, 1, 2], kernel_params=[0.0, 0.0, 0.0]),
             h.make_node('SVMRegressor', ['X'], ['y_rbf'], domain='ai.onnx.ml', kernel_type='RBF',
                         kernel_params=[0.4, 0.0, 3.0], n_supports=5, support_vectors=list(r.randn(20)),
                         coefficients=list(r.randn(5)), rho=[0.2]),
             h.make_node('SVMRegressor', ['X'], ['y_lin'], domain='ai.onnx.ml', kernel_type='LINEAR',
                         kernel_params=[0.0, 0.0, 0.0], n_supports=0, coefficients=list(r.randn(4)), rho=[-0.3]),
             h.make_node('SVMRegressor', ['X'], ['y_one'], domain='ai.onnx.ml', kernel_type='RBF',
                         kernel_params=[0.4, 0.0, 3.0], n_supports=5, support_vectors=list(r.randn(20)),
                         coefficients=list(r.randn(5)), rho=[0.2], one_class=1)]
    outs = [vi('l_lin', T.INT64, None), vi('s_lin', T.FLOAT, None), vi('y_rbf', T.FLOAT, None),
            vi('y_lin', T.FLOAT, None), vi('y_one', T.FLOAT, None)]
    return model(nodes, [X4], outs, ml=1), xf(40)


# ---------------------------------------------------------------------------
# Running and comparing
# ---------------------------------------------------------------------------

ELEM = {T.FLOAT: 'float32', T.DOUBLE: 'float64', T.INT64: 'int64', T.BOOL: 'bool', T.STRING: 'string'}


def run_ort(args, m, x, work):
    path = os.path.join(work, 'ort.onnx')
    onnx.save(m, path)
    inp = m.graph.input[0]
    dt = ELEM[inp.type.tensor_type.elem_type]
    data = x.reshape(-1).tolist()
    if dt == 'int64':
        data = [int(v) for v in data]
    spec = {inp.name: {'dtype': dt, 'shape': list(x.shape),
                       'data': [None if isinstance(v, float) and math.isnan(v) else v for v in data]}}
    with open(os.path.join(work, 'in.json'), 'w') as f:
        json.dump(spec, f)
    env = dict(os.environ, ORT_NODE_MODULES=args.node_modules)
    p = subprocess.run(['node', args.ort_run, path, os.path.join(work, 'in.json'),
                        os.path.join(work, 'ort.json')], env=env, capture_output=True, text=True)
    if p.returncode == 77:
        return None, 'skip'
    if p.returncode:
        return None, p.stderr.strip()
    with open(os.path.join(work, 'ort.json')) as f:
        return json.load(f), None


def run_skconv(args, m, x, work):
    path = os.path.join(work, 'model.onnx')
    onnx.save(m, path)
    xin = os.path.join(work, 'x.npy')
    if x.dtype == object:
        # strings go in as CSV (.npy holds numbers only)
        xin = os.path.join(work, 'x.csv')
        with open(xin, 'w', newline='') as f:
            w = csv.writer(f, quoting=csv.QUOTE_ALL, lineterminator='\n')
            w.writerow(['c%d' % i for i in range(x.shape[1])])
            w.writerows(x.tolist())
    else:
        np.save(xin, x)
    out = os.path.join(work, 'sk.json')
    p = subprocess.run([args.skconv, 'predict', path, '--input', xin,
                        '-o', out, '--force'], capture_output=True, text=True)
    if p.returncode:
        return None, p.stderr.strip()
    with open(out) as f:
        return json.load(f), None


def run_roundtrip(args, m, work):
    """ONNX -> .skm -> ONNX with the CLI (verification on at each step)."""
    src = os.path.join(work, 'model.onnx')
    skm = os.path.join(work, 'rt.skm')
    dst = os.path.join(work, 'rt.onnx')
    for a, b in ((src, skm), (skm, dst)):
        p = subprocess.run([args.skconv, a, '-o', b, '--force'], capture_output=True, text=True)
        if p.returncode:
            return None, '%s -> %s: %s' % (os.path.basename(a), os.path.basename(b), p.stderr.strip())
    return onnx.load(dst), None


def flat(v):
    if isinstance(v, list):
        r = []
        for e in v:
            r.extend(flat(e))
        return r
    return [v]


def num(v):
    if v is None or v == 'NaN':
        return float('nan')
    if v == 'Infinity':
        return float('inf')
    if v == '-Infinity':
        return float('-inf')
    return v


def compare(name, dtype, sk, ort):
    a, b = flat(sk), ort['data']
    if len(a) != len(b):
        return False, '%s: %d values, ONNX Runtime %d' % (name, len(a), len(b)), 0.0, 0.0
    if dtype in ('string', 'int64', 'bool'):
        bad = [i for i in range(len(a)) if (bool(a[i]) if dtype == 'bool' else a[i]) != b[i]
               and not (dtype == 'bool' and bool(a[i]) == b[i])]
        return not bad, '%s: %d of %d differ (first at %d: %r vs %r)' % (
            name, len(bad), len(a), bad[0], a[bad[0]], b[bad[0]]) if bad else '', 0.0, 0.0
    rtol = 1e-12 if dtype == 'float64' else 1e-5
    atol = 1e-12 if dtype == 'float64' else 1e-5
    mabs = mrel = 0.0
    worst = None
    for i, (p, q) in enumerate(zip(a, b)):
        p, q = num(p), num(q)
        if math.isnan(p) and math.isnan(q):
            continue
        if math.isinf(p) or math.isinf(q):
            if p != q:
                worst = (i, p, q)
                mabs = float('inf')
            continue
        d = abs(p - q)
        mabs = max(mabs, d)
        if q != 0:
            mrel = max(mrel, d / abs(q))
        if not d <= atol + rtol * abs(q):
            worst = worst or (i, p, q)
    if worst:
        return False, '%s: value %d is %r, ONNX Runtime %r (max abs %.3g)' % (name, worst[0], worst[1],
                                                                            worst[2], mabs), mabs, mrel
    return True, '', mabs, mrel


def check_fixtures(args, start):
    """skconv's own ONNX output for every fixture model: the reader reads it
    back (verification runs on conversion), its evaluation matches ONNX
    Runtime on the fixture rows, and a weight changed in one file makes
    `skconv verify` fail. Verification verdicts are reported, not asserted:
    they judge the writers, which the last check covers for the reader."""
    with open(os.path.join(args.fixtures, 'manifest.json')) as f:
        manifest = json.load(f)
    seen, i, failed, verdicts = set(), start, 0, {'passed': 0, 'failed': 0}
    broken_done = False
    for fx in manifest['fixtures']:
        model_name = fx['model']
        if model_name in seen or fx.get('format') != 'pickle':
            continue
        seen.add(model_name)
        i += 1
        work = os.path.join(args.workdir, 'fixture-' + model_name)
        os.makedirs(work, exist_ok=True)
        pkl = os.path.join(args.fixtures, fx['file'])
        out = os.path.join(work, 'model.onnx')
        p = subprocess.run([args.skconv, pkl, '-o', out, '-v', '--force', '--keep-failed'],
                           capture_output=True, text=True)
        msgs = []
        if 'passed on' in p.stderr:
            verdicts['passed'] += 1
        elif 'FAILED on' in p.stderr:
            verdicts['failed'] += 1
            msgs.append('verification: ' + p.stderr.strip().splitlines()[0][:200])
        ok = os.path.exists(out)
        if not ok:
            msgs.append('not written: ' + p.stderr.strip()[:300])
        x = None
        if ok:
            try:
                x = np.loadtxt(os.path.join(args.fixtures, fx['input_csv']), delimiter=',', skiprows=1,
                               ndmin=2).astype(np.float32).astype(np.float64)
            except ValueError:
                msgs.append('string input: reader checked through verification only')
        if ok and x is not None:
            m = onnx.load(out)
            sk, err = run_skconv(args, m, x, work)
            ort, oerr = run_ort(args, m, x, work)
            if err or oerr:
                ok = False
                msgs.append(err or oerr)
            else:
                for o in m.graph.output:
                    good, msg, _, _ = compare(o.name, ort[o.name]['dtype'], sk[o.name], ort[o.name])
                    if not good:
                        ok = False
                        msgs.append(msg)
            if ok and not broken_done and fx['kind'] == 'classifier' and 'passed on' in p.stderr:
                # A changed weight must make verification fail (exit 1).
                for t in m.graph.initializer:
                    a = nh.to_array(t)
                    if a.dtype == np.float32 and a.size > 1:
                        a = a.copy()
                        a.flat[0] += 0.5
                        t.CopyFrom(nh.from_array(a, t.name))
                        break
                broken = os.path.join(work, 'broken.onnx')
                onnx.save(m, broken)
                v = subprocess.run([args.skconv, 'verify', pkl, broken], capture_output=True, text=True)
                broken_done = True
                if v.returncode != 1:
                    ok = False
                    msgs.append('verify of a changed weight exited %d' % v.returncode)
                else:
                    msgs.append('verify of a changed weight: exit 1')
        print('%s %d - fixture %s' % ('ok' if ok else 'not ok', i, model_name))
        for msg in msgs:
            print('# ' + msg)
        failed += not ok
    print('# verification of the written ONNX: %d passed, %d failed' % (verdicts['passed'], verdicts['failed']))
    return i, failed


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--skconv', required=True)
    ap.add_argument('--node-modules', default='node_modules')
    ap.add_argument('--ort-run', default=os.path.join(os.path.dirname(os.path.abspath(__file__)), 'ort_run.js'))
    ap.add_argument('--workdir', default='/tmp/check_reader')
    ap.add_argument('-k', default='')
    ap.add_argument('-v', action='store_true')
    ap.add_argument('--fixtures', help='fixture directory (manifest.json): also check skconv\'s own ONNX')
    args = ap.parse_args()
    # $SKCONV_NODE_MODULES wins, as in tests/meson.build.
    args.node_modules = os.environ.get('SKCONV_NODE_MODULES') or args.node_modules
    if not shutil.which('node') or not os.path.isdir(os.path.join(args.node_modules, 'onnxruntime-node')):
        print('1..0 # SKIP node or onnxruntime-node not found')
        return 77
    cases = [cs for cs in CASES if args.k in cs[0]]
    fixtures = args.fixtures and os.path.exists(os.path.join(args.fixtures, 'manifest.json'))
    failed = 0
    summary = {'float32': [0.0, 0.0], 'float64': [0.0, 0.0]}
    for i, (name, fn, _opset, _ml, _ir) in enumerate(cases, 1):
        work = os.path.join(args.workdir, name)
        os.makedirs(work, exist_ok=True)
        built = fn()
        m, x = built[0], built[1]
        extra = built[2] if len(built) > 2 else {}
        try:
            onnx.checker.check_model(m)
        except Exception as e:  # onnx 1.12 wants output shapes ORT does not need
            if args.v:
                print('# onnx.checker: %s' % str(e).splitlines()[0])
        sk, err = run_skconv(args, m, x, work)
        ort, oerr = run_ort(args, extra.get('ort_model', m), x, work)
        msgs = []
        if err:
            msgs.append('skconv: ' + err)
        if oerr:
            msgs.append('ort: ' + oerr)
        ok = not msgs
        if ok:
            for o in m.graph.output:
                oname = extra.get('rename', {}).get(o.name, o.name)
                ref = ort.get(oname)
                good, msg, mabs, mrel = compare(o.name, ref['dtype'], sk.get(o.name), ref)
                if ref['dtype'] in summary:
                    summary[ref['dtype']][0] = max(summary[ref['dtype']][0], mabs)
                    summary[ref['dtype']][1] = max(summary[ref['dtype']][1], mrel)
                if args.v:
                    msgs.append('%s %s max abs %.3g rel %.3g' % (o.name, ref['dtype'], mabs, mrel))
                if not good:
                    ok = False
                    msgs.append(msg)
        if ok and not extra.get('no_roundtrip'):
            # The mirror ops written back must compute what the original did.
            rt, rerr = run_roundtrip(args, m, work)
            ort2, oerr2 = run_ort(args, rt, x, work) if rt is not None else (None, None)
            if rerr or oerr2:
                ok = False
                msgs.append('round trip: ' + (rerr or oerr2))
            else:
                for o in m.graph.output:
                    oname = extra.get('rename', {}).get(o.name, o.name)
                    good, msg, _, _ = compare(o.name, ort[oname]['dtype'], ort2[o.name]['data'], ort[oname])
                    if not good:
                        ok = False
                        msgs.append('round trip: ' + msg)
        print('%s %d - %s' % ('ok' if ok else 'not ok', i, name))
        for msg in msgs:
            print('# ' + msg)
        failed += not ok
    for k, (a, r) in summary.items():
        print('# max difference vs ONNX Runtime, %s outputs: abs %.3g rel %.3g' % (k, a, r))
    n = len(cases)
    if fixtures:
        n, ffailed = check_fixtures(args, n)
        failed += ffailed
    print('1..%d' % n)
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
