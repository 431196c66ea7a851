// Umbrella header of the public C++ API.
#pragma once

#include "onnxrt/dtype.h"
#include "onnxrt/session.h"
#include "onnxrt/status.h"
#include "onnxrt/tensor.h"
