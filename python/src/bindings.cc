// The _onnxrt extension: a thin nanobind layer over include/onnxrt/. The pure-Python package
// (python/onnxrt/) owns the user-facing API; this module only moves tensors across the boundary
// and turns a failed Status into the exception class of its ErrorCode.
//
// Tensor exchange protocol with python/onnxrt/_convert.py:
//   feed   = (name, dtype_code, payload)  payload: a C-contiguous, aligned numpy array whose item
//            size equals the dtype's (bfloat16/float8 arrive as uint16/uint8 views), or for
//            strings a (shape, flat list of str or bytes) pair.
//   output = (dtype_code, shape, payload)  payload: ndarray (uint view for bfloat16/float8),
//            flat list[str] for strings, or None for an empty tensor.
// Values that are not tensors (python/onnxrt/session.py encodes and decodes them):
//   feed   = (name, encoded) with encoded = (dtype_code, payload) for a tensor, None for an empty
//            optional, ("seq", [encoded, ...]) for a sequence, ("map", keys, values) for a map.
//   output = a tensor output as above, None, ("seq", [output, ...]) or ("map", keys, values).
#include <nanobind/nanobind.h>
#include <nanobind/ndarray.h>
#include <nanobind/stl/pair.h>
#include <nanobind/stl/string.h>
#include <nanobind/stl/tuple.h>
#include <nanobind/stl/vector.h>

#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#ifdef ONNXRT_NUMPY_C_API
#define NPY_NO_DEPRECATED_API NPY_1_7_API_VERSION
#define PY_ARRAY_UNIQUE_SYMBOL onnxrt_numpy_api
#include <numpy/arrayobject.h>
#endif

#include "base/float8.h"
#include "ir/infer.h"
#include "kernels/registry.h"
#include "onnx/model_io.h"
#include "onnxrt/onnxrt.h"
#include "runtime/pipeline_stages.h"

namespace nb = nanobind;

namespace {

// One Python class per ErrorCode, indexed by the code; [0] is the common base onnxrt.Error.
PyObject* g_error_types[7] = {};

[[noreturn]] void raise_status(const onnxrt::Status& status) {
  const auto index = static_cast<size_t>(status.code());
  PyObject* type = index < std::size(g_error_types) && index != 0 && g_error_types[index]
                       ? g_error_types[index]
                       : g_error_types[0];
  PyErr_SetString(type, status.message().c_str());
  throw nb::python_error();
}

template <typename T>
T unwrap(onnxrt::Expected<T>&& e) {
  if (!e.has_value()) raise_status(e.status());
  return std::move(e).value();
}

void make_error_types(nb::module_& m) {
  const auto make = [&](const char* name, const char* doc, PyObject* bases) -> PyObject* {
    std::string qualified = std::string("onnxrt.") + name;
    PyObject* dict = PyDict_New();
    PyObject* doc_str = PyUnicode_FromString(doc);
    PyDict_SetItemString(dict, "__doc__", doc_str);
    Py_DECREF(doc_str);
    PyObject* type = PyErr_NewException(qualified.c_str(), bases, dict);
    Py_DECREF(dict);
    Py_XDECREF(bases);
    if (!type) throw nb::python_error();
    m.attr(name) = nb::handle(type);  // the module keeps a reference; so does g_error_types
    return type;
  };
  using onnxrt::ErrorCode;
  PyObject* base = make("Error", "Base class of every error raised by onnxrt.", nullptr);
  const auto with = [&](PyObject* other) { return PyTuple_Pack(2, base, other); };
  g_error_types[0] = base;
  g_error_types[static_cast<size_t>(ErrorCode::kInvalidModel)] =
      make("InvalidModel", "The model file or graph is malformed or inconsistent.",
           with(PyExc_ValueError));
  g_error_types[static_cast<size_t>(ErrorCode::kInvalidArgument)] =
      make("InvalidArgument", "A wrong input name, shape, dtype or option was passed.",
           with(PyExc_ValueError));
  g_error_types[static_cast<size_t>(ErrorCode::kNotImplemented)] =
      make("NotImplemented", "Valid ONNX that onnxrt cannot run yet (no kernel or feature).",
           with(PyExc_NotImplementedError));
  g_error_types[static_cast<size_t>(ErrorCode::kIoError)] =
      make("IoError", "A file is missing, unreadable or outside the model directory.",
           with(PyExc_OSError));
  g_error_types[static_cast<size_t>(ErrorCode::kRuntimeError)] =
      make("EngineError", "A failure while running the model (out of memory, kernel error).",
           with(PyExc_RuntimeError));
  // A bug in onnxrt reported instead of ending the process; users catch it as an EngineError.
  g_error_types[static_cast<size_t>(ErrorCode::kInternal)] =
      g_error_types[static_cast<size_t>(ErrorCode::kRuntimeError)];
}

// ---- numpy <-> Tensor

using InArray = nb::ndarray<nb::ro, nb::c_contig, nb::device::cpu>;
using OutArray = nb::ndarray<nb::numpy>;

// The DLPack type a tensor of `t` is handed to numpy as. bfloat16 and float8 travel as unsigned
// integers of the same width because numpy's DLPack import knows no such types; Python re-views
// them as ml_dtypes. Sub-byte types have no numpy layout and are refused (code 0).
nb::dlpack::dtype exchange_dtype(onnxrt::DType t) {
  using onnxrt::DType;
  using C = nb::dlpack::dtype_code;
  const auto mk = [](C code, int bits) {
    return nb::dlpack::dtype{static_cast<uint8_t>(code), static_cast<uint8_t>(bits), 1};
  };
  switch (t) {
    case DType::kFloat32: return mk(C::Float, 32);
    case DType::kFloat64: return mk(C::Float, 64);
    case DType::kFloat16: return mk(C::Float, 16);
    case DType::kInt8: return mk(C::Int, 8);
    case DType::kInt16: return mk(C::Int, 16);
    case DType::kInt32: return mk(C::Int, 32);
    case DType::kInt64: return mk(C::Int, 64);
    case DType::kUInt8: return mk(C::UInt, 8);
    case DType::kUInt16: return mk(C::UInt, 16);
    case DType::kUInt32: return mk(C::UInt, 32);
    case DType::kUInt64: return mk(C::UInt, 64);
    case DType::kBool: return mk(C::Bool, 8);
    case DType::kComplex64: return mk(C::Complex, 64);
    case DType::kComplex128: return mk(C::Complex, 128);
    case DType::kBFloat16: return mk(C::UInt, 16);
    case DType::kFloat8E4M3FN:
    case DType::kFloat8E4M3FNUZ:
    case DType::kFloat8E5M2:
    case DType::kFloat8E5M2FNUZ:
    case DType::kFloat8E8M0: return mk(C::UInt, 8);
    default: return nb::dlpack::dtype{0, 0, 0};
  }
}

onnxrt::DType checked_dtype(int32_t code, std::string_view name) {
  if (!onnxrt::dtype_is_valid(code)) {
    raise_status(onnxrt::invalid_argument("input '" + std::string(name) +
                                          "': unknown element type " + std::to_string(code)));
  }
  return static_cast<onnxrt::DType>(code);
}

onnxrt::Shape to_shape(const nb::handle& seq) {
  onnxrt::Shape shape;
  for (nb::handle d : seq) shape.push_back(nb::cast<int64_t>(d));
  return shape;
}

onnxrt::Tensor string_feed(std::string_view name, const nb::tuple& payload) {
  onnxrt::Shape shape = to_shape(payload[0]);
  nb::list items = nb::cast<nb::list>(payload[1]);
  onnxrt::Tensor t = onnxrt::Tensor::allocate(onnxrt::DType::kString, shape);
  if (static_cast<size_t>(t.size()) != items.size()) {
    raise_status(onnxrt::invalid_argument("input '" + std::string(name) + "': " +
                                          std::to_string(items.size()) +
                                          " strings for a tensor of " +
                                          std::to_string(t.size()) + " elements"));
  }
  std::string* out = t.data<std::string>();
  for (size_t i = 0; i < items.size(); ++i) {
    PyObject* item = items[i].ptr();
    // ONNX strings are bytes; str is stored as UTF-8, bytes as they are.
    if (PyBytes_Check(item)) {
      out[i].assign(PyBytes_AS_STRING(item), static_cast<size_t>(PyBytes_GET_SIZE(item)));
    } else {
      Py_ssize_t n = 0;
      const char* s = PyUnicode_AsUTF8AndSize(item, &n);
      if (!s) throw nb::python_error();
      out[i].assign(s, static_cast<size_t>(n));
    }
  }
  return t;
}

onnxrt::Tensor numeric_feed(std::string_view name, onnxrt::DType dtype, const InArray& a) {
  if (onnxrt::is_sub_byte(dtype)) {
    // Sub-byte types (int4, float4, ...) arrive one element per byte (ml_dtypes' layout) and
    // are packed into the engine's raw_data layout.
    if (a.dtype().bits != 8 || a.dtype().lanes != 1) {
      raise_status(onnxrt::invalid_argument("input '" + std::string(name) +
                                            "': array item size does not match element type " +
                                            std::string(onnxrt::dtype_name(dtype))));
    }
    onnxrt::Shape shape(a.ndim());
    for (size_t i = 0; i < a.ndim(); ++i) shape[i] = static_cast<int64_t>(a.shape(i));
    onnxrt::Tensor t = onnxrt::Tensor::allocate(dtype, std::move(shape));
    onnxrt::pack_codes(dtype, static_cast<const uint8_t*>(a.data()), t.size(), t.raw());
    return t;
  }
  const nb::dlpack::dtype want = exchange_dtype(dtype);
  if (want.bits == 0) {
    raise_status(onnxrt::not_implemented("input '" + std::string(name) + "': element type " +
                                         std::string(onnxrt::dtype_name(dtype)) +
                                         " cannot be passed from numpy"));
  }
  if (a.dtype().bits != want.bits || a.dtype().lanes != 1) {
    raise_status(onnxrt::invalid_argument("input '" + std::string(name) +
                                          "': array item size does not match element type " +
                                          std::string(onnxrt::dtype_name(dtype))));
  }
  onnxrt::Shape shape(a.ndim());
  for (size_t i = 0; i < a.ndim(); ++i) shape[i] = static_cast<int64_t>(a.shape(i));
  // Zero-copy: the tensor borrows the array's memory and keeps the array alive. nanobind's
  // ndarray handle takes the GIL itself when its last reference drops, so the keep-alive may die
  // on any thread.
  auto keep = std::make_shared<InArray>(a);
  // The engine treats graph inputs as read-only, so dropping const here is safe.
  return onnxrt::Tensor::borrow(dtype, std::move(shape), const_cast<void*>(a.data()),
                                std::move(keep));
}

#ifdef ONNXRT_NUMPY_C_API
bool g_numpy_api = false;  // numpy's C API table was imported at module load

// numpy's type number for a tensor handed over as itself (not re-viewed bits), or -1.
int numpy_typenum(onnxrt::DType t) {
  using onnxrt::DType;
  switch (t) {
    case DType::kFloat32: return NPY_FLOAT32;
    case DType::kFloat64: return NPY_FLOAT64;
    case DType::kFloat16: return NPY_FLOAT16;
    case DType::kBool: return NPY_BOOL;
    case DType::kInt8: return NPY_INT8;
    case DType::kInt16: return NPY_INT16;
    case DType::kInt32: return NPY_INT32;
    case DType::kInt64: return NPY_INT64;
    case DType::kUInt8: return NPY_UINT8;
    case DType::kUInt16: return NPY_UINT16;
    case DType::kUInt32: return NPY_UINT32;
    case DType::kUInt64: return NPY_UINT64;
    case DType::kComplex64: return NPY_COMPLEX64;
    case DType::kComplex128: return NPY_COMPLEX128;
    default: return -1;
  }
}
#endif

// A numpy array over the tensor's buffer (no copy), for a tensor of an exchangeable dtype.
nb::object numpy_array(onnxrt::Tensor t, nb::dlpack::dtype dt) {
  std::vector<size_t> dims(t.shape().begin(), t.shape().end());
  void* data = t.raw();
  // The capsule owns the tensor, so numpy's array and the engine's buffer are one allocation.
  auto* owned = new onnxrt::Tensor(std::move(t));
  nb::capsule owner(owned, [](void* p) noexcept { delete static_cast<onnxrt::Tensor*>(p); });
#ifdef ONNXRT_NUMPY_C_API
  // numpy's C API directly: nanobind's export imports numpy and calls numpy.array() per output,
  // which was most of the binding's cost on small models. bfloat16 / float8 bits (uint views)
  // keep the nanobind path.
  const int typenum = g_numpy_api && dims.size() <= NPY_MAXDIMS ? numpy_typenum(owned->dtype()) : -1;
  if (typenum >= 0) {
    npy_intp npy_dims[NPY_MAXDIMS];
    for (size_t i = 0; i < dims.size(); ++i) npy_dims[i] = static_cast<npy_intp>(dims[i]);
    PyObject* arr = PyArray_SimpleNewFromData(static_cast<int>(dims.size()), npy_dims, typenum, data);
    if (!arr) throw nb::python_error();
    // The array takes the capsule's reference (SetBaseObject steals it, also on failure).
    if (PyArray_SetBaseObject(reinterpret_cast<PyArrayObject*>(arr), owner.release().ptr()) != 0) {
      Py_DECREF(arr);
      throw nb::python_error();
    }
    return nb::steal(arr);
  }
#endif
  OutArray arr(data, dims.size(), dims.data(), owner, nullptr, dt, nb::device::cpu::value);
  return nb::cast(arr);
}

nb::tuple to_python(onnxrt::Tensor t) {
  nb::tuple shape_tuple;
  {
    nb::list dims;
    for (int64_t d : t.shape()) dims.append(d);
    shape_tuple = nb::tuple(dims);
  }
  const auto code = static_cast<int32_t>(t.dtype());
  if (t.dtype() == onnxrt::DType::kString) {
    nb::list items;
    for (const std::string& s : t.span<std::string>()) {
      // Tensors of bytes that are not UTF-8 come back as bytes rather than failing the run.
      PyObject* u = PyUnicode_DecodeUTF8(s.data(), static_cast<Py_ssize_t>(s.size()), nullptr);
      if (u) {
        items.append(nb::steal(u));
      } else {
        PyErr_Clear();
        items.append(nb::bytes(s.data(), s.size()));
      }
    }
    return nb::make_tuple(code, shape_tuple, items);
  }
  if (t.size() == 0) return nb::make_tuple(code, shape_tuple, nb::none());
  if (onnxrt::is_sub_byte(t.dtype())) {
    // Unpacked to one element per byte, which Python re-views as the ml_dtypes type.
    onnxrt::Tensor codes = onnxrt::Tensor::allocate(onnxrt::DType::kUInt8, t.shape());
    onnxrt::unpack_codes(t.dtype(), t.raw(), t.size(), codes.data<uint8_t>());
    t = std::move(codes);
  }
  const nb::dlpack::dtype dt = exchange_dtype(t.dtype());
  if (dt.bits == 0) {
    raise_status(onnxrt::not_implemented("output element type " +
                                         std::string(onnxrt::dtype_name(t.dtype())) +
                                         " cannot be returned to numpy"));
  }
  return nb::make_tuple(code, shape_tuple, numpy_array(std::move(t), dt));
}

// ---- The array fast path (PySession::run_arrays)

// A zero-copy tensor over a numpy array (exactly numpy.ndarray: subclasses such as masked arrays
// mean more than their buffer) that is C-contiguous, aligned, native-endian and of a plain
// numeric type; an undefined tensor for anything else, which then takes the general path. The
// array is kept alive until the engine drops the tensor.
onnxrt::Tensor array_feed(PyObject* obj) {
#ifdef ONNXRT_NUMPY_C_API
  using onnxrt::DType;
  if (!g_numpy_api || !PyArray_CheckExact(obj)) return onnxrt::Tensor();
  auto* arr = reinterpret_cast<PyArrayObject*>(obj);
  if (!PyArray_IS_C_CONTIGUOUS(arr) || !PyArray_ISALIGNED(arr) || !PyArray_ISNOTSWAPPED(arr))
    return onnxrt::Tensor();
  DType dtype = DType::kUndefined;
  switch (PyArray_TYPE(arr)) {
    case NPY_FLOAT32: dtype = DType::kFloat32; break;
    case NPY_FLOAT64: dtype = DType::kFloat64; break;
    case NPY_FLOAT16: dtype = DType::kFloat16; break;
    case NPY_BOOL: dtype = DType::kBool; break;
    case NPY_INT8: dtype = DType::kInt8; break;
    case NPY_INT16: dtype = DType::kInt16; break;
    case NPY_INT32: dtype = DType::kInt32; break;
    case NPY_INT64: dtype = DType::kInt64; break;
    case NPY_UINT8: dtype = DType::kUInt8; break;
    case NPY_UINT16: dtype = DType::kUInt16; break;
    case NPY_UINT32: dtype = DType::kUInt32; break;
    case NPY_UINT64: dtype = DType::kUInt64; break;
    default: return onnxrt::Tensor();  // complex, strings, objects, ml_dtypes: general path
  }
  const int nd = PyArray_NDIM(arr);
  onnxrt::Shape shape(static_cast<size_t>(nd));
  for (int i = 0; i < nd; ++i) shape[static_cast<size_t>(i)] = static_cast<int64_t>(PyArray_DIM(arr, i));
  Py_INCREF(obj);
  // Released with the GIL, whichever thread drops the last reference.
  std::shared_ptr<void> keep(obj, [](void* o) {
    nb::gil_scoped_acquire gil;
    Py_DECREF(static_cast<PyObject*>(o));
  });
  // The engine treats graph inputs as read-only, so a read-only array is fine.
  return onnxrt::Tensor::borrow(dtype, std::move(shape), PyArray_DATA(arr), std::move(keep));
#else
  (void)obj;
  return onnxrt::Tensor();
#endif
}

// What run_arrays hands back for one output: the numpy array itself when session.py would only
// unwrap it, else the general encoding for session.py to decode.
nb::object array_or_encoded(const onnxrt::Value& v);

onnxrt::Tensor tensor_feed(std::string_view name, int32_t code, nb::handle payload) {
  const onnxrt::DType dtype = checked_dtype(code, name);
  return dtype == onnxrt::DType::kString ? string_feed(name, nb::cast<nb::tuple>(payload))
                                         : numeric_feed(name, dtype, nb::cast<InArray>(payload));
}

onnxrt::Value value_feed(const std::string& name, nb::handle encoded) {
  if (encoded.is_none()) return onnxrt::Value::none();
  nb::tuple t = nb::cast<nb::tuple>(encoded);
  if (t.size() >= 1 && nb::isinstance<nb::str>(t[0])) {
    const std::string tag = nb::cast<std::string>(t[0]);
    if (tag == "seq" && t.size() == 2) {
      std::vector<onnxrt::Value> items;
      nb::list l = nb::cast<nb::list>(t[1]);
      for (size_t k = 0; k < l.size(); ++k) items.push_back(value_feed(name + "[" + std::to_string(k) + "]", l[k]));
      return onnxrt::Value::sequence(std::move(items));
    }
    if (tag == "map" && t.size() == 3) {
      onnxrt::Value keys = value_feed(name, t[1]);
      onnxrt::Value values = value_feed(name, t[2]);
      if (!keys.is_tensor() || !values.is_tensor()) {
        raise_status(onnxrt::invalid_argument("input '" + name + "': map keys and values must be arrays"));
      }
      return onnxrt::Value::map(keys.tensor(), values.tensor());
    }
    raise_status(onnxrt::invalid_argument("input '" + name + "': unknown value encoding '" + tag + "'"));
  }
  if (t.size() != 2) raise_status(onnxrt::invalid_argument("input '" + name + "': malformed feed"));
  return tensor_feed(name, nb::cast<int32_t>(t[0]), t[1]);
}

// Copies a tensor that shares storage with something else (a feed, an initializer), so the
// array handed to numpy is the caller's alone. By reference: a by-value parameter would itself
// hold a second reference, so every output was cloned (measured: 256 MB out -> 512 MB peak).
onnxrt::Tensor exclusive(const onnxrt::Tensor& t) {
  if (t.dtype() == onnxrt::DType::kString || t.size() == 0) return t;
  if (!t.storage() || t.storage().use_count() > 1) return t.clone();
  return t;
}

nb::object value_to_python(const onnxrt::Value& v) {
  switch (v.kind()) {
    case onnxrt::ValueKind::kNone: return nb::none();
    case onnxrt::ValueKind::kTensor: return to_python(exclusive(v.tensor()));
    case onnxrt::ValueKind::kSequence: {
      nb::list items;
      for (const onnxrt::Value& e : v.sequence()) items.append(value_to_python(e));
      return nb::make_tuple("seq", items);
    }
    case onnxrt::ValueKind::kMap:
      return nb::make_tuple("map", to_python(exclusive(v.map().keys)), to_python(exclusive(v.map().values)));
  }
  return nb::none();
}

nb::object array_or_encoded(const onnxrt::Value& v) {
  if (!v.is_tensor() || v.tensor().size() == 0) return value_to_python(v);
  using onnxrt::DType;
  switch (v.tensor().dtype()) {
    case DType::kFloat32: case DType::kFloat64: case DType::kFloat16: case DType::kBool:
    case DType::kInt8: case DType::kInt16: case DType::kInt32: case DType::kInt64:
    case DType::kUInt8: case DType::kUInt16: case DType::kUInt32: case DType::kUInt64:
    case DType::kComplex64: case DType::kComplex128: {
      onnxrt::Tensor t = exclusive(v.tensor());
      const nb::dlpack::dtype dt = exchange_dtype(t.dtype());
      return numpy_array(std::move(t), dt);
    }
    default: return value_to_python(v);
  }
}

// ---- Session

struct PySession {
  std::unique_ptr<onnxrt::Session> session;

  // Feeds as session.py encodes them: (name, dtype code, array) for a tensor, (name, encoded
  // value) for a sequence, optional or map.
  static std::vector<std::pair<std::string, onnxrt::Value>> decode_feeds(const nb::list& feeds_in) {
    std::vector<std::pair<std::string, onnxrt::Value>> feeds;
    feeds.reserve(feeds_in.size());
    for (nb::handle item : feeds_in) {
      nb::tuple feed = nb::cast<nb::tuple>(item);
      std::string name = nb::cast<std::string>(feed[0]);
      onnxrt::Value v = feed.size() == 3 ? onnxrt::Value(tensor_feed(name, nb::cast<int32_t>(feed[1]), feed[2]))
                                         : value_feed(name, feed[1]);
      feeds.emplace_back(std::move(name), std::move(v));
    }
    return feeds;
  }

  nb::list run(const nb::list& feeds_in, const std::vector<std::string>& output_names) const {
    std::vector<onnxrt::Value> outputs = run_feeds(decode_feeds(feeds_in), output_names);
    nb::list out;
    for (onnxrt::Value& v : outputs) out.append(value_to_python(v));
    return out;
  }

  // Runs without the GIL. An output is handed to numpy without a copy only when nothing else can
  // see its storage: an output that aliases a feed (Identity), an initializer, or another output
  // is copied, so writing into the returned array never changes the caller's input or the model.
  // The feeds are still alive while that is decided, which is what makes the use_count test
  // meaningful.
  std::vector<onnxrt::Value> run_feeds(std::vector<std::pair<std::string, onnxrt::Value>> feeds,
                                       const std::vector<std::string>& output_names) const {
    onnxrt::Expected<std::vector<onnxrt::Value>> result = onnxrt::Status();
    {
      nb::gil_scoped_release release;
      result = session->run(feeds, output_names);
    }
    std::vector<onnxrt::Value> outputs = unwrap(std::move(result));
    for (onnxrt::Value& v : outputs)
      if (v.is_tensor()) v = exclusive(v.tensor());
    feeds.clear();
    return outputs;
  }

  // run(None or [names], {name: array}) without the Python-side encoding: C-contiguous numpy
  // arrays of plain numeric types go to the engine as they are (array_feed) and outputs come
  // back as arrays. Returns None, having run nothing, when a feed or name is anything else;
  // session.py then takes the general path (run), which converts or reports every case.
  // Measured on a one-Relu model: wrapper, encoding and numpy.array() export were ~6 us of a
  // ~7 us run() from Python; this path takes ~1.5 us.
  nb::object run_arrays(nb::handle feed_dict, nb::handle names_in) const {
    if (!PyDict_Check(feed_dict.ptr())) return nb::none();
    std::vector<std::string> output_names;
    if (!names_in.is_none()) {
      if (!PyList_Check(names_in.ptr())) return nb::none();
      for (nb::handle n : nb::borrow<nb::list>(names_in)) {
        if (!PyUnicode_Check(n.ptr())) return nb::none();
        output_names.push_back(nb::cast<std::string>(n));
      }
    }
    std::vector<std::pair<std::string, onnxrt::Value>> feeds;
    feeds.reserve(static_cast<size_t>(PyDict_Size(feed_dict.ptr())));
    PyObject* key = nullptr;
    PyObject* value = nullptr;
    Py_ssize_t pos = 0;
    while (PyDict_Next(feed_dict.ptr(), &pos, &key, &value)) {
      if (!PyUnicode_Check(key)) return nb::none();
      Py_ssize_t len = 0;
      const char* name = PyUnicode_AsUTF8AndSize(key, &len);
      if (!name) {
        PyErr_Clear();
        return nb::none();
      }
      onnxrt::Tensor t = array_feed(value);
      if (!t.defined()) return nb::none();
      feeds.emplace_back(std::string(name, static_cast<size_t>(len)), onnxrt::Value(std::move(t)));
    }
    std::vector<onnxrt::Value> outputs = run_feeds(std::move(feeds), output_names);
    nb::list out;
    for (const onnxrt::Value& v : outputs) out.append(array_or_encoded(v));
    return out;
  }

  // [(value name, encoded output)] for every value a node computed, in execution order.
  nb::list run_with_intermediates(const nb::list& feeds_in) const {
    std::vector<std::pair<std::string, onnxrt::Value>> feeds = decode_feeds(feeds_in);
    onnxrt::Expected<std::vector<std::pair<std::string, onnxrt::Value>>> result = onnxrt::Status();
    {
      nb::gil_scoped_release release;
      result = session->run_with_intermediates(feeds);
    }
    // The values are copies made during the run, so none aliases a feed.
    auto values = unwrap(std::move(result));
    nb::list out;
    for (auto& [name, v] : values) out.append(nb::make_tuple(name, value_to_python(v)));
    return out;
  }
};

nb::dict value_info_to_dict(const onnxrt::ValueInfo& v) {
  nb::dict d;
  d["name"] = v.name;
  d["type"] = v.type;
  d["dtype"] = static_cast<int32_t>(v.dtype);
  if (v.has_shape) {
    nb::list dims;
    for (const onnxrt::DimInfo& dim : v.shape) {
      if (dim.value >= 0) {
        dims.append(dim.value);
      } else if (!dim.symbol.empty()) {
        dims.append(dim.symbol);
      } else {
        dims.append(nb::none());
      }
    }
    d["shape"] = dims;
  } else {
    d["shape"] = nb::none();
  }
  return d;
}

nb::list value_infos(const std::vector<onnxrt::ValueInfo>& infos) {
  nb::list l;
  for (const auto& v : infos) l.append(value_info_to_dict(v));
  return l;
}

}  // namespace

NB_MODULE(_onnxrt, m) {
  m.doc() = "onnxrt's native core; use the onnxrt package instead of this module.";
#ifdef ONNXRT_NUMPY_C_API
  // Without numpy's C API (an incompatible numpy) outputs go through nanobind's export instead.
  g_numpy_api = _import_array() >= 0;
  if (!g_numpy_api) PyErr_Clear();
#endif
  make_error_types(m);

  nb::enum_<onnxrt::GraphOptimizationLevel>(m, "GraphOptimizationLevel")
      .value("kDisableAll", onnxrt::GraphOptimizationLevel::kDisableAll)
      .value("kBasic", onnxrt::GraphOptimizationLevel::kBasic)
      .value("kExtended", onnxrt::GraphOptimizationLevel::kExtended)
      .value("kAll", onnxrt::GraphOptimizationLevel::kAll);

  nb::class_<onnxrt::SessionOptions>(m, "SessionOptions")
      .def(nb::init<>())
      .def_rw("intra_op_num_threads", &onnxrt::SessionOptions::intra_op_num_threads)
      .def_rw("graph_optimization_level", &onnxrt::SessionOptions::graph_optimization_level)
      .def_rw("log_severity_level", &onnxrt::SessionOptions::log_severity_level)
      .def_rw("optimized_model_filepath", &onnxrt::SessionOptions::optimized_model_filepath)
      .def_rw("enable_profiling", &onnxrt::SessionOptions::enable_profiling)
      .def_rw("profile_file_prefix", &onnxrt::SessionOptions::profile_file_prefix)
      .def_rw("use_reference_kernels", &onnxrt::SessionOptions::use_reference_kernels);

  nb::class_<PySession>(m, "Session")
      .def_static(
          "load",
          [](const std::string& path, const onnxrt::SessionOptions& options) {
            onnxrt::Expected<std::unique_ptr<onnxrt::Session>> s = onnxrt::Status();
            {
              nb::gil_scoped_release release;
              s = onnxrt::Session::load(path, options);
            }
            return PySession{unwrap(std::move(s))};
          },
          nb::arg("path"), nb::arg("options"))
      .def_static(
          "load_bytes",
          [](nb::bytes data, const onnxrt::SessionOptions& options, const std::string& model_dir) {
            onnxrt::Expected<std::unique_ptr<onnxrt::Session>> s = onnxrt::Status();
            {
              // `data` is immutable and referenced by this frame, so it outlives the load.
              nb::gil_scoped_release release;
              s = onnxrt::Session::load_bytes(data.c_str(), data.size(), options, model_dir);
            }
            return PySession{unwrap(std::move(s))};
          },
          nb::arg("data"), nb::arg("options"), nb::arg("model_dir") = "")
      .def("run", &PySession::run, nb::arg("feeds"), nb::arg("output_names"))
      .def("run_arrays", &PySession::run_arrays, nb::arg("feeds"), nb::arg("output_names").none())
      .def("run_with_intermediates", &PySession::run_with_intermediates, nb::arg("feeds"))
      .def("end_profiling",
           [](const PySession& s) {
             onnxrt::Expected<std::string> path = onnxrt::Status();
             {
               nb::gil_scoped_release release;
               path = s.session->end_profiling();
             }
             return unwrap(std::move(path));
           })
      .def("profiling_start_time_ns", [](const PySession& s) { return s.session->profiling_start_time_ns(); })
      .def("inputs", [](const PySession& s) { return value_infos(s.session->inputs()); })
      .def("outputs", [](const PySession& s) { return value_infos(s.session->outputs()); })
      .def("options", [](const PySession& s) { return s.session->options(); })
      .def("metadata", [](const PySession& s) {
        const onnxrt::ModelMetadata& md = s.session->metadata();
        nb::dict d;
        d["producer_name"] = md.producer_name;
        d["producer_version"] = md.producer_version;
        d["domain"] = md.domain;
        d["graph_name"] = md.graph_name;
        d["description"] = md.description;
        d["model_version"] = md.model_version;
        d["ir_version"] = md.ir_version;
        d["opset_imports"] = md.opset_imports;
        nb::dict custom;
        for (const auto& [k, v] : md.custom_metadata) custom[k.c_str()] = v;
        d["custom_metadata"] = custom;
        return d;
      });

  m.def(
      "_proto_roundtrip",
      [](nb::bytes data) {
        onnxrt::Expected<std::string> out = onnxrt::Status();
        {
          nb::gil_scoped_release release;
          out = onnxrt::onnx::proto_roundtrip(std::string_view(data.c_str(), data.size()));
        }
        const std::string s = unwrap(std::move(out));
        return nb::bytes(s.data(), s.size());
      },
      nb::arg("data"), "Parses model bytes with onnxrt's reader and writes them back (for tests).");

  m.def(
      "_dump_graph",
      [](const std::string& path, const onnxrt::SessionOptions& options, const std::string& after) {
        onnxrt::Expected<std::string> out = onnxrt::Status();
        {
          nb::gil_scoped_release release;
          out = onnxrt::runtime::dump_graph_json(path, options, after);
        }
        return unwrap(std::move(out));
      },
      nb::arg("path"), nb::arg("options"), nb::arg("after") = "",
      "The graph as JSON after pass `after` of the options' optimization level ('' = all passes).");

  m.def(
      "_pipeline_stages",
      [](onnxrt::GraphOptimizationLevel level) { return onnxrt::runtime::pipeline_stage_names(level); },
      nb::arg("level"), "'import' then the passes that the optimization level runs, in order.");

  m.def(
      "_list_ops",
      [] {
        std::vector<std::pair<std::string, std::string>> ops;
        for (const onnxrt::ir::OpInfo& info : onnxrt::ir::all_op_infos()) {
          ops.emplace_back(std::string(info.domain), std::string(info.op_type));
        }
        return ops;
      },
      "(domain, op_type) of every op with shape inference.");

  m.def(
      "_list_kernels",
      [](bool reference) {
        std::vector<std::tuple<std::string, std::string, int, int, std::string>> rows;
        for (const onnxrt::kernels::KernelEntry& e : onnxrt::kernels::kernel_table(
                 reference ? onnxrt::kernels::Backend::kReference : onnxrt::kernels::Backend::kCpu)) {
          const std::string dtype = e.dtype == onnxrt::DType::kUndefined
                                        ? std::string("any")
                                        : std::string(onnxrt::dtype_name(e.dtype));
          rows.emplace_back(std::string(e.domain), std::string(e.op_type), e.since_version,
                            e.until_version, dtype);
        }
        return rows;
      },
      nb::arg("reference") = false,
      "(domain, op_type, since_version, until_version, dtype) of every CPU kernel (reference=True: "
      "every reference kernel); dtype 'any' when the kernel dispatches on dtype itself.");
}
