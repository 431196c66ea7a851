// The CPU table of the ai.onnx.ml family: the tree ensembles have a flattened, threaded kernel
// (cpu/ml_tree.cc), the support vector machines and linear models vectorized, threaded ones
// (cpu/ml_svm.cc, cpu/ml_linear.cc); the other ops are memory-bound or tiny, so the reference
// kernels serve.
// The ml opsets (1..5) change attributes only, which the factories read from the node.
#include "kernels/kernel_families.h"
#include "kernels/reference/ml_common.h"

namespace onnxrt::kernels::ml {
Expected<std::unique_ptr<Kernel>> make_cpu_tree_ensemble(const KernelInit& init);  // cpu/ml_tree.cc
Expected<std::unique_ptr<Kernel>> make_cpu_svm_classifier(const KernelInit& init);  // cpu/ml_svm.cc
Expected<std::unique_ptr<Kernel>> make_cpu_svm_regressor(const KernelInit& init);
Expected<std::unique_ptr<Kernel>> make_cpu_squared_distances(const KernelInit& init);  // cpu/ml_distances.cc
Expected<std::unique_ptr<Kernel>> make_cpu_linear_classifier(const KernelInit& init);  // cpu/ml_linear.cc
Expected<std::unique_ptr<Kernel>> make_cpu_linear_regressor(const KernelInit& init);
}

namespace onnxrt::kernels {

namespace {

constexpr DType kAny = DType::kUndefined;
constexpr std::string_view kMl = "ai.onnx.ml";

const KernelEntry kCpuMl[] = {
    {kMl, "ArrayFeatureExtractor", 1, kMaxOpset, kAny, &ml::make_array_feature_extractor},
    {kMl, "Binarizer", 1, kMaxOpset, kAny, &ml::make_binarizer},
    {kMl, "CastMap", 1, kMaxOpset, kAny, &ml::make_cast_map},
    {kMl, "CategoryMapper", 1, kMaxOpset, kAny, &ml::make_category_mapper},
    {kMl, "DictVectorizer", 1, kMaxOpset, kAny, &ml::make_dict_vectorizer},
    {kMl, "FeatureVectorizer", 1, kMaxOpset, kAny, &ml::make_feature_vectorizer},
    {kMl, "Imputer", 1, kMaxOpset, kAny, &ml::make_imputer},
    {kMl, "LabelEncoder", 1, kMaxOpset, kAny, &ml::make_label_encoder},
    {kMl, "LinearClassifier", 1, kMaxOpset, kAny, &ml::make_cpu_linear_classifier},
    {kMl, "LinearRegressor", 1, kMaxOpset, kAny, &ml::make_cpu_linear_regressor},
    {kMl, "Normalizer", 1, kMaxOpset, kAny, &ml::make_normalizer},
    {kMl, "OneHotEncoder", 1, kMaxOpset, kAny, &ml::make_one_hot_encoder},
    {kMl, "SVMClassifier", 1, kMaxOpset, kAny, &ml::make_cpu_svm_classifier},
    {kMl, "SVMRegressor", 1, kMaxOpset, kAny, &ml::make_cpu_svm_regressor},
    {kMl, "Scaler", 1, kMaxOpset, kAny, &ml::make_scaler},
    {kMl, "TreeEnsemble", 5, kMaxOpset, kAny, &ml::make_cpu_tree_ensemble},
    {kMl, "TreeEnsembleClassifier", 1, kMaxOpset, kAny, &ml::make_cpu_tree_ensemble},
    {kMl, "TreeEnsembleRegressor", 1, kMaxOpset, kAny, &ml::make_cpu_tree_ensemble},
    {kMl, "ZipMap", 1, kMaxOpset, kAny, &ml::make_zipmap},
    {"com.onnxrt", "SquaredDistances", 1, kMaxOpset, DType::kFloat32, &ml::make_cpu_squared_distances},
};

}  // namespace

std::span<const KernelEntry> cpu_ml_kernels() { return kCpuMl; }

}  // namespace onnxrt::kernels
