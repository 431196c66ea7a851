"""scikit-learn models converted with skl2onnx, run on onnxrt and compared with scikit-learn's own
predictions and with onnxruntime. Models are small and trained on synthetic data, so the whole
file runs in a few seconds."""

from __future__ import annotations

import numpy as np
import pytest

sklearn = pytest.importorskip("sklearn")
import sklearn.base  # noqa: E402
skl2onnx = pytest.importorskip("skl2onnx")

from sklearn.datasets import make_classification, make_regression  # noqa: E402
from sklearn.ensemble import (  # noqa: E402
    GradientBoostingClassifier,
    GradientBoostingRegressor,
    RandomForestClassifier,
    RandomForestRegressor,
)
from sklearn.linear_model import LinearRegression, LogisticRegression  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import LabelEncoder, MaxAbsScaler, Normalizer, OneHotEncoder, StandardScaler  # noqa: E402
from sklearn.svm import SVC, SVR  # noqa: E402
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor  # noqa: E402

import onnxrt  # noqa: E402

OPSET = {"": 17, "ai.onnx.ml": 3}


def convert(model, x, zipmap=False, opset=OPSET):
    options = {id(model): {"zipmap": False}} if not zipmap and sklearn.base.is_classifier(model) else None
    return skl2onnx.to_onnx(model, x[:1], target_opset=opset, options=options).SerializeToString()


def run_both(onnx_bytes, x, ort_run):
    sess = onnxrt.InferenceSession(onnx_bytes)
    name = sess.get_inputs()[0].name
    return sess.run(None, {name: x}), ort_run(onnx_bytes, {name: x})


def classification(n_classes, n=120, seed=0):
    x, y = make_classification(n_samples=n, n_features=6, n_informative=4, n_redundant=0, n_classes=n_classes,
                               random_state=seed)
    return x.astype(np.float32), y


def regression(n=120, seed=0, targets=1):
    x, y = make_regression(n_samples=n, n_features=5, n_targets=targets, noise=0.1, random_state=seed)
    return x.astype(np.float32), y


CLASSIFIERS = [
    ("logreg", lambda: LogisticRegression(max_iter=500)),
    ("tree", lambda: DecisionTreeClassifier(max_depth=5, random_state=0)),
    ("forest", lambda: RandomForestClassifier(n_estimators=10, max_depth=6, random_state=0)),
    ("gboost", lambda: GradientBoostingClassifier(n_estimators=15, max_depth=3, random_state=0)),
    ("svc", lambda: SVC(probability=True, random_state=0)),
    ("svc_linear", lambda: SVC(kernel="linear", probability=True, random_state=0)),
    ("scaled_logreg", lambda: make_pipeline(StandardScaler(), LogisticRegression(max_iter=500))),
]


@pytest.mark.parametrize("n_classes", [2, 3])
@pytest.mark.parametrize("name,factory", CLASSIFIERS, ids=[c[0] for c in CLASSIFIERS])
def test_classifier(name, factory, n_classes, ort_run):
    x, y = classification(n_classes)
    model = factory().fit(x, y)
    data = convert(model, x)
    (label, proba), (ort_label, ort_proba) = run_both(data, x, ort_run)
    np.testing.assert_array_equal(label, ort_label)
    np.testing.assert_allclose(proba, ort_proba, rtol=1e-4, atol=1e-5)
    if not name.startswith("svc"):
        # libsvm's predict votes while its predict_proba couples; both runtimes follow the converter.
        np.testing.assert_array_equal(label, model.predict(x))
    np.testing.assert_allclose(proba, model.predict_proba(x), rtol=1e-3, atol=1e-4)


def test_svc_without_probability(ort_run):
    for n_classes in (2, 3):
        x, y = classification(n_classes, seed=3)
        model = SVC(kernel="rbf").fit(x, y)
        (label, scores), (ort_label, ort_scores) = run_both(convert(model, x), x, ort_run)
        np.testing.assert_array_equal(label, model.predict(x))
        np.testing.assert_array_equal(label, ort_label)
        np.testing.assert_allclose(scores, ort_scores, rtol=1e-4, atol=1e-5)


REGRESSORS = [
    ("linreg", lambda: LinearRegression()),
    ("tree", lambda: DecisionTreeRegressor(max_depth=6, random_state=0)),
    ("forest", lambda: RandomForestRegressor(n_estimators=10, max_depth=6, random_state=0)),
    ("gboost", lambda: GradientBoostingRegressor(n_estimators=20, max_depth=3, random_state=0)),
    ("svr", lambda: SVR(C=10.0)),
    ("scaled_svr", lambda: make_pipeline(StandardScaler(), SVR(kernel="poly", degree=2))),
]


@pytest.mark.parametrize("name,factory", REGRESSORS, ids=[r[0] for r in REGRESSORS])
def test_regressor(name, factory, ort_run):
    x, y = regression()
    model = factory().fit(x, y)
    (pred,), (ort_pred,) = run_both(convert(model, x), x, ort_run)
    np.testing.assert_allclose(pred, ort_pred, rtol=1e-4, atol=1e-3)
    expected = model.predict(x).reshape(pred.shape)
    np.testing.assert_allclose(pred, expected, rtol=1e-3, atol=1e-2 * max(1.0, np.abs(expected).max() * 1e-3))


def test_multi_target_forest(ort_run):
    x, y = regression(targets=3)
    model = RandomForestRegressor(n_estimators=5, max_depth=5, random_state=0).fit(x, y)
    (pred,), (ort_pred,) = run_both(convert(model, x), x, ort_run)
    np.testing.assert_allclose(pred, ort_pred, rtol=1e-4, atol=1e-3)
    np.testing.assert_allclose(pred, model.predict(x), rtol=1e-3, atol=1e-2)


def test_tree_ensemble_opset5(ort_run):
    # ml opset 5 still emits TreeEnsembleRegressor/Classifier from skl2onnx; run it as well.
    x, y = classification(3, seed=4)
    model = RandomForestClassifier(n_estimators=5, max_depth=4, random_state=0).fit(x, y)
    data = convert(model, x, opset={"": 21, "ai.onnx.ml": 5})
    (label, proba), _ = run_both(data, x, ort_run)
    np.testing.assert_array_equal(label, model.predict(x))
    np.testing.assert_allclose(proba, model.predict_proba(x), rtol=1e-4, atol=1e-5)


def test_preprocessing(ort_run):
    x, _ = regression(n=40)
    for model in (StandardScaler().fit(x), MaxAbsScaler().fit(x), Normalizer(norm="l1").fit(x), Normalizer().fit(x)):
        (out,), (ort_out,) = run_both(convert(model, x), x, ort_run)
        np.testing.assert_allclose(out, ort_out, rtol=1e-5, atol=1e-5)
        np.testing.assert_allclose(out, model.transform(x), rtol=1e-4, atol=1e-5)


def test_one_hot_encoder(ort_run):
    x = np.array([[1, 3], [2, 3], [1, 5], [4, 5]], dtype=np.int64)
    model = OneHotEncoder(handle_unknown="ignore").fit(x)
    x_test = np.array([[1, 5], [9, 3]], dtype=np.int64)
    (out,), (ort_out,) = run_both(convert(model, x), x_test, ort_run)
    np.testing.assert_allclose(out, ort_out)
    np.testing.assert_allclose(out, model.transform(x_test).toarray())
    xs = np.array([["a", "x"], ["b", "y"], ["a", "y"]], dtype=object)
    model = OneHotEncoder().fit(xs)
    data = skl2onnx.to_onnx(model, initial_types=[("X", skl2onnx.common.data_types.StringTensorType([None, 2]))],
                            target_opset=OPSET).SerializeToString()
    (out,), (ort_out,) = run_both(data, xs.astype(str), ort_run)
    np.testing.assert_allclose(out, model.transform(xs).toarray())
    np.testing.assert_allclose(out, ort_out)


def test_string_labels_and_label_encoder(ort_run):
    x, y = classification(3, seed=2)
    names = np.array(["cat", "dog", "emu"])[y]
    model = RandomForestClassifier(n_estimators=4, max_depth=3, random_state=0).fit(x, names)
    (label, proba), (ort_label, _) = run_both(convert(model, x), x, ort_run)
    assert label.tolist() == model.predict(x).tolist() == ort_label.tolist()
    enc = LabelEncoder().fit(names)
    data = skl2onnx.to_onnx(enc, initial_types=[("X", skl2onnx.common.data_types.StringTensorType([None]))],
                            target_opset=OPSET).SerializeToString()
    (codes,), (ort_codes,) = run_both(data, names.astype(str), ort_run)
    np.testing.assert_array_equal(codes, enc.transform(names))
    np.testing.assert_array_equal(codes, ort_codes)


def test_zipmap_output():
    x, y = classification(3, seed=5)
    model = LogisticRegression(max_iter=500).fit(x, y)
    data = convert(model, x, zipmap=True)
    sess = onnxrt.InferenceSession(data)
    label, probs = sess.run(None, {sess.get_inputs()[0].name: x[:5]})
    expected = model.predict_proba(x[:5])
    assert isinstance(probs, list) and len(probs) == 5
    for row, exp in zip(probs, expected):
        assert sorted(row) == [0, 1, 2]
        np.testing.assert_allclose([row[k] for k in (0, 1, 2)], exp, rtol=1e-4, atol=1e-5)
    np.testing.assert_array_equal(label, model.predict(x[:5]))


def test_large_forest_batch(ort_run):
    # Enough rows and trees that the CPU kernel splits rows over threads.
    x, y = classification(2, n=2000, seed=6)
    model = RandomForestClassifier(n_estimators=30, max_depth=8, random_state=0).fit(x, y)
    (label, proba), (ort_label, ort_proba) = run_both(convert(model, x), x, ort_run)
    np.testing.assert_array_equal(label, ort_label)
    np.testing.assert_allclose(proba, ort_proba, rtol=1e-4, atol=1e-5)


def test_kmeans(ort_run):
    # skl2onnx writes k-means as plain ONNX (ReduceSumSquare, Gemm, ArgMin, Sqrt): labels are the
    # nearest centre, scores the distances to every centre.
    from sklearn.cluster import KMeans

    x, _ = classification(3, n=150, seed=7)
    model = KMeans(n_clusters=4, n_init=3, random_state=0).fit(x)
    (label, scores), (ort_label, ort_scores) = run_both(convert(model, x), x, ort_run)
    np.testing.assert_array_equal(label, model.predict(x))
    np.testing.assert_array_equal(label, ort_label)
    np.testing.assert_allclose(scores, model.transform(x), rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(scores, ort_scores, rtol=1e-5, atol=1e-5)


def mixed_columns(n, seed):
    """Two numeric columns with missing values and two string columns; the label depends on both."""
    rng = np.random.default_rng(seed)
    num = rng.normal(size=(n, 2)).astype(np.float32)
    num[rng.random((n, 2)) < 0.15] = np.nan
    cat = np.stack([rng.choice(["red", "green", "blue"], n), rng.choice(["a", "b"], n)], 1)
    y = ((np.nan_to_num(num[:, 0]) + 0.5 * (cat[:, 1] == "a")) > 0.2) ^ (cat[:, 0] == "red")
    table = np.empty((n, 4), dtype=object)
    table[:, :2], table[:, 2:] = num, cat
    return num, cat, table, y.astype(np.int64)


def test_mixed_column_pipeline(ort_run):
    # ColumnTransformer: SimpleImputer + StandardScaler on the numeric columns, OneHotEncoder on the
    # string ones, then LogisticRegression. The ONNX graph has two inputs (float and string), Gather
    # column slices, Imputer, Scaler, OneHotEncoder, Concat and LinearClassifier.
    from sklearn.compose import ColumnTransformer
    from sklearn.impute import SimpleImputer
    from sklearn.pipeline import Pipeline
    from skl2onnx.common.data_types import FloatTensorType, StringTensorType

    num, cat, table, y = mixed_columns(300, seed=8)
    pre = ColumnTransformer([("num", make_pipeline(SimpleImputer(strategy="median"), StandardScaler()), [0, 1]),
                             ("cat", OneHotEncoder(handle_unknown="ignore"), [2, 3])])
    model = Pipeline([("pre", pre), ("lr", LogisticRegression(max_iter=500))]).fit(table, y)
    data = skl2onnx.to_onnx(model, initial_types=[("num", FloatTensorType([None, 2])), ("cat", StringTensorType([None, 2]))],
                            target_opset=OPSET, options={id(model.steps[-1][1]): {"zipmap": False}}).SerializeToString()
    # Unseen category ("purple") and all-missing rows at test time as well.
    t_num, t_cat, t_table, _ = mixed_columns(60, seed=9)
    t_cat[::7, 0] = "purple"
    t_num[::5] = np.nan
    t_table[:, :2], t_table[:, 2:] = t_num, t_cat
    feeds = {"num": t_num, "cat": t_cat}
    sess = onnxrt.InferenceSession(data)
    label, proba = sess.run(None, feeds)
    ort_label, ort_proba = ort_run(data, feeds)
    np.testing.assert_array_equal(label, model.predict(t_table))
    np.testing.assert_array_equal(label, ort_label)
    np.testing.assert_allclose(proba, model.predict_proba(t_table), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(proba, ort_proba, rtol=1e-5, atol=1e-6)
