# The Python interpreter the binding is built for, chosen explicitly:
# -DPython3_EXECUTABLE=/path/to/python3 (pip's build passes the interpreter
# it runs). Without it, FindPython3 picks one and this file says which and
# why, because the extension only loads into that interpreter's version.
set(_tipc_py_given OFF)
if(DEFINED Python3_EXECUTABLE OR DEFINED CACHE{Python3_EXECUTABLE})
  set(_tipc_py_given ON)
endif()

find_package(Python3 REQUIRED COMPONENTS Interpreter Development.Module)

if(_tipc_py_given)
  message(STATUS "Python: ${Python3_EXECUTABLE} (${Python3_VERSION}), as given by Python3_EXECUTABLE")
else()
  # FindPython3's order: an active virtual environment, then PATH in order.
  set(_in_venv -1)
  if(DEFINED ENV{VIRTUAL_ENV} AND NOT "$ENV{VIRTUAL_ENV}" STREQUAL "")
    string(FIND "${Python3_EXECUTABLE}" "$ENV{VIRTUAL_ENV}/" _in_venv)
  endif()
  if(_in_venv EQUAL 0)
    set(_why "it belongs to the active virtual environment $ENV{VIRTUAL_ENV}")
  else()
    set(_why "it is the first Python 3 with development files on PATH (no virtual environment is active)")
  endif()
  message(STATUS "Python: Python3_EXECUTABLE not given; using ${Python3_EXECUTABLE} "
                 "(${Python3_VERSION}) because ${_why}. The Python binding loads only into "
                 "this interpreter's version; choose another with "
                 "-DPython3_EXECUTABLE=/path/to/python3 (in a fresh build directory).")
endif()

# numpy is a run-time dependency only (the extension uses the buffer protocol
# and DLPack, not numpy's C API): say so now rather than at the first import.
execute_process(COMMAND ${Python3_EXECUTABLE} -c "import numpy"
  RESULT_VARIABLE _tipc_np_rc OUTPUT_QUIET ERROR_QUIET)
if(NOT _tipc_np_rc EQUAL 0 AND NOT SKBUILD)
  message(STATUS "Python: numpy is not importable from ${Python3_EXECUTABLE}; the tensor_ipc "
                 "package needs it at run time (and the Python tests need it)")
endif()
