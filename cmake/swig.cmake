# The one SWIG interface, swig/tensor_ipc.i, as seen by a language binding.
# tipc_swig_interface(<out-var> <lang-dir>) sets the interface's source
# properties in the calling directory (SWIG flags, include path, dependencies
# on swig/<lang-dir>/*.i and the C header) and returns its path.
find_package(SWIG 4.0 REQUIRED)
include(UseSWIG)

function(tipc_swig_interface out lang_dir)
  set(iface ${PROJECT_SOURCE_DIR}/swig/tensor_ipc.i)
  set(flags -I${PROJECT_SOURCE_DIR}/swig)
  if(CMAKE_SIZEOF_VOID_P EQUAL 8)
    list(APPEND flags -DSWIGWORDSIZE64) # int64_t is long on LP64
  endif()
  file(GLOB lang_files ${PROJECT_SOURCE_DIR}/swig/*.i ${PROJECT_SOURCE_DIR}/swig/${lang_dir}/*.i)
  set_source_files_properties(${iface} PROPERTIES
    USE_TARGET_INCLUDE_DIRECTORIES ON
    SWIG_FLAGS "${flags}"
    DEPENDS "${lang_files};${PROJECT_SOURCE_DIR}/c/include/tensor_ipc.h")
  set(${out} ${iface} PARENT_SCOPE)
endfunction()
