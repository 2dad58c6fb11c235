# Install rules for tensor_ipc; included at the end of c/CMakeLists.txt, so
# CMAKE_CURRENT_SOURCE_DIR / CMAKE_CURRENT_BINARY_DIR are those of c/.
#
# Components: "Runtime" (the shared library and its SONAME link) and
# "Development" (headers, the unversioned .so link, pkg-config file, CMake
# package). Packagers can split them; tests/artifacts installs exactly these.
#
# Variables the rest of the build may set before this file is included:
#   TIPC_PC_REQUIRES_PRIVATE  pkg-config modules the library links privately
#   TIPC_PC_LIBS_PRIVATE      extra flags for static linking (default -pthread)
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

# A wheel or a rock carries the library inside its binding's directory
# (bindings/python, bindings/lua) and none of the C development files.
if(TIPC_PYTHON_BUNDLE OR TIPC_LUA_ROCK)
  return()
endif()

set(TIPC_INSTALL_CMAKEDIR ${CMAKE_INSTALL_LIBDIR}/cmake/tensor_ipc
    CACHE STRING "Where tensor_ipcConfig.cmake is installed (relative to the prefix)")
if(NOT DEFINED TIPC_PC_REQUIRES_PRIVATE)
  set(TIPC_PC_REQUIRES_PRIVATE "")
endif()
if(NOT DEFINED TIPC_PC_LIBS_PRIVATE)
  set(TIPC_PC_LIBS_PRIVATE "-pthread")
endif()

install(TARGETS tensor_ipc EXPORT tensor_ipcTargets
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
    COMPONENT Runtime
    NAMELINK_COMPONENT Development
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT Development
  RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT Runtime)
# Include directories come from the target's $<INSTALL_INTERFACE:...>.

install(FILES
    ${PROJECT_SOURCE_DIR}/c/include/tensor_ipc.h
    ${CMAKE_CURRENT_BINARY_DIR}/include/tensor_ipc_export.h
  DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}
  COMPONENT Development)

# CMake package: find_package(tensor_ipc) -> tensor_ipc::tensor_ipc.
install(EXPORT tensor_ipcTargets
  NAMESPACE tensor_ipc::
  FILE tensor_ipcTargets.cmake
  DESTINATION ${TIPC_INSTALL_CMAKEDIR}
  COMPONENT Development)
configure_package_config_file(
  ${PROJECT_SOURCE_DIR}/cmake/tensor_ipcConfig.cmake.in
  ${PROJECT_BINARY_DIR}/cmake/tensor_ipcConfig.cmake
  INSTALL_DESTINATION ${TIPC_INSTALL_CMAKEDIR})
# The SONAME is the major version, so the package promises the same.
write_basic_package_version_file(
  ${PROJECT_BINARY_DIR}/cmake/tensor_ipcConfigVersion.cmake
  VERSION ${PROJECT_VERSION}
  COMPATIBILITY SameMajorVersion)
install(FILES
    ${PROJECT_BINARY_DIR}/cmake/tensor_ipcConfig.cmake
    ${PROJECT_BINARY_DIR}/cmake/tensor_ipcConfigVersion.cmake
  DESTINATION ${TIPC_INSTALL_CMAKEDIR}
  COMPONENT Development)

# pkg-config file. It is generated at install time, not configure time, so its
# prefix is the one actually installed to (`cmake --install --prefix X` works).
# configure_file and file(INSTALL) run in the install script; file(INSTALL)
# honours DESTDIR and records the file in install_manifest.txt.
install(CODE "
  set(TIPC_PC_TEMPLATE [[${PROJECT_SOURCE_DIR}/cmake/tensor_ipc.pc.in]])
  set(TIPC_PC_WORK [[${PROJECT_BINARY_DIR}/cmake/tensor_ipc.pc]])
  set(TIPC_PC_LIBDIR_REL [[${CMAKE_INSTALL_LIBDIR}]])
  set(TIPC_PC_INCLUDEDIR_REL [[${CMAKE_INSTALL_INCLUDEDIR}]])
  set(PROJECT_VERSION [[${PROJECT_VERSION}]])
  set(PROJECT_DESCRIPTION [[${PROJECT_DESCRIPTION}]])
  set(TIPC_PC_REQUIRES_PRIVATE [[${TIPC_PC_REQUIRES_PRIVATE}]])
  set(TIPC_PC_LIBS_PRIVATE [[${TIPC_PC_LIBS_PRIVATE}]])
" COMPONENT Development)
install(CODE [[
  set(TIPC_PC_PREFIX "${CMAKE_INSTALL_PREFIX}")
  foreach(kind LIBDIR INCLUDEDIR)
    if(IS_ABSOLUTE "${TIPC_PC_${kind}_REL}")
      set(TIPC_PC_${kind} "${TIPC_PC_${kind}_REL}")
    else()
      set(TIPC_PC_${kind} "\${prefix}/${TIPC_PC_${kind}_REL}")
    endif()
  endforeach()
  if(IS_ABSOLUTE "${TIPC_PC_LIBDIR_REL}")
    set(TIPC_PC_DEST "${TIPC_PC_LIBDIR_REL}/pkgconfig")
  else()
    set(TIPC_PC_DEST "${CMAKE_INSTALL_PREFIX}/${TIPC_PC_LIBDIR_REL}/pkgconfig")
  endif()
  configure_file("${TIPC_PC_TEMPLATE}" "${TIPC_PC_WORK}" @ONLY)
  file(INSTALL DESTINATION "${TIPC_PC_DEST}" TYPE FILE FILES "${TIPC_PC_WORK}")
]] COMPONENT Development)
