# tipc_origin_rpath(<out-var> <dir>): the RPATH that lets a module installed
# in <dir> find libtensor_ipc in ${CMAKE_INSTALL_LIBDIR}. Both relative to
# the prefix (the default): an $ORIGIN-relative path, right under any prefix
# chosen at install time (`cmake --install --prefix P`). Either absolute:
# the library's absolute directory.
function(tipc_origin_rpath out dir)
  if(IS_ABSOLUTE "${dir}" OR IS_ABSOLUTE "${CMAKE_INSTALL_LIBDIR}")
    if(IS_ABSOLUTE "${CMAKE_INSTALL_LIBDIR}")
      set(${out} "${CMAKE_INSTALL_LIBDIR}" PARENT_SCOPE)
    else()
      set(${out} "${CMAKE_INSTALL_PREFIX}/${CMAKE_INSTALL_LIBDIR}" PARENT_SCOPE)
    endif()
    return()
  endif()
  # Any absolute stand-in for the prefix: only the relative path counts.
  file(RELATIVE_PATH rel "/prefix/${dir}" "/prefix/${CMAKE_INSTALL_LIBDIR}")
  if(rel STREQUAL "")
    set(${out} "$ORIGIN" PARENT_SCOPE)
  else()
    set(${out} "$ORIGIN/${rel}" PARENT_SCOPE)
  endif()
endfunction()
