# The C++ package test (ctest onnxrt_package): installs the already-built library into a prefix
# inside the build tree, configures and builds examples/cpp against it with find_package(onnxrt),
# and runs the example's self-test. Nothing of the library is rebuilt; the fixed paths let ccache
# serve the example's object on later runs.
#   cmake -DBUILD_DIR=... -DSOURCE_DIR=... -DWORK_DIR=... [-DLAUNCHER=ccache] -P test_package.cmake
foreach(var BUILD_DIR SOURCE_DIR WORK_DIR)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "test_package.cmake needs -D${var}=...")
  endif()
endforeach()

function(run_step what)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "${what} failed (${rc}):\n${out}\n${err}")
  endif()
  set(step_output "${out}" PARENT_SCOPE)
endfunction()

set(prefix "${WORK_DIR}/prefix")
# From scratch every time: a stale prefix or example build could hide a broken install.
file(REMOVE_RECURSE "${prefix}" "${WORK_DIR}/example")
run_step("install" "${CMAKE_COMMAND}" --install "${BUILD_DIR}" --prefix "${prefix}" --component onnxrt_cpp)
foreach(f include/onnxrt/onnxrt.h lib/cmake/onnxrt/onnxrtConfig.cmake lib/cmake/onnxrt/onnxrtConfigVersion.cmake)
  if(NOT EXISTS "${prefix}/${f}")
    message(FATAL_ERROR "the install is missing ${f}")
  endif()
endforeach()

set(launcher_arg "")
if(LAUNCHER)
  set(launcher_arg "-DCMAKE_CXX_COMPILER_LAUNCHER=${LAUNCHER}")
endif()
run_step("configure examples/cpp" "${CMAKE_COMMAND}" -S "${SOURCE_DIR}/examples/cpp" -B "${WORK_DIR}/example"
         -G Ninja -DCMAKE_BUILD_TYPE=Release "-DCMAKE_PREFIX_PATH=${prefix}" ${launcher_arg})
run_step("build examples/cpp" "${CMAKE_COMMAND}" --build "${WORK_DIR}/example")
run_step("run the example" "${WORK_DIR}/example/run_model" --self-test)
message(STATUS "${step_output}")
