# Offline build of the QuickJS backend: WAMR fetches `simde` with FetchContent.
# Point it at Debian's libsimde-dev headers when present; otherwise FetchContent
# downloads as usual.
if(EXISTS "/usr/include/simde/simde-common.h")
  set(_we_simde_root "${CMAKE_CURRENT_LIST_DIR}/../target/simde-src")
  if(NOT EXISTS "${_we_simde_root}/simde")
    file(MAKE_DIRECTORY "${_we_simde_root}")
    file(CREATE_LINK "/usr/include/simde" "${_we_simde_root}/simde" SYMBOLIC)
  endif()
  set(FETCHCONTENT_SOURCE_DIR_SIMDE "${_we_simde_root}" CACHE PATH "local simde" FORCE)
  set(FETCHCONTENT_FULLY_DISCONNECTED ON CACHE BOOL "offline" FORCE)
endif()
