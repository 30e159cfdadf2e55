# SPDX-License-Identifier: GPL-2.0-or-later
#
# `cpack -G DEB` in a build configured with -DFLOWSPLIT_INSTALL_SCOPE=system:
# a package that puts flowsplit.so into the global plugin folder and depends
# on the libwireshark ABI package (libwiresharkNN) this build links against,
# at this Wireshark major.minor: a plugin loads only into the major.minor it
# was built for, and the package manager then refuses to install it next to
# another one.
get_target_property(_fs_libwireshark epan LOCATION)
get_filename_component(_fs_libwireshark "${_fs_libwireshark}" REALPATH)
find_program(FLOWSPLIT_DPKG_QUERY dpkg-query)
if(NOT FLOWSPLIT_DPKG_QUERY)
  message(STATUS "flowsplit: no dpkg-query, so no .deb (cpack -G DEB) from this build")
  return()
endif()
execute_process(COMMAND ${FLOWSPLIT_DPKG_QUERY} -S "${_fs_libwireshark}"
                OUTPUT_VARIABLE _fs_owner RESULT_VARIABLE _fs_rc ERROR_QUIET)
string(REGEX MATCH "^[^:, ]+" _fs_abi_package "${_fs_owner}")
if(NOT _fs_rc EQUAL 0 OR NOT _fs_abi_package)
  message(STATUS "flowsplit: ${_fs_libwireshark} belongs to no Debian package, so no .deb from this build")
  return()
endif()
execute_process(COMMAND ${FLOWSPLIT_DPKG_QUERY} -W -f=\${Version} "${_fs_abi_package}"
                OUTPUT_VARIABLE _fs_abi_version OUTPUT_STRIP_TRAILING_WHITESPACE)
math(EXPR _fs_next_minor "${Wireshark_MINOR_VERSION} + 1")

set(CPACK_GENERATOR "DEB")
set(CPACK_PACKAGE_NAME "flowsplit")
set(CPACK_PACKAGE_VERSION "${PROJECT_VERSION}")
set(CPACK_PACKAGE_CONTACT "flowsplit developers")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "Wireshark/tshark plugin: one capture file per TCP stream")
set(CPACK_DEBIAN_PACKAGE_DESCRIPTION "splits a capture into one capture file per TCP stream (tcp.stream), in one pass of tshark,\n with Tools > Export streams in Wireshark. Built for Wireshark ${Wireshark_MAJOR_VERSION}.${Wireshark_MINOR_VERSION}.")
set(CPACK_DEBIAN_PACKAGE_SECTION "net")
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
# The package version says which Wireshark it is for: flowsplit 0.1.0 for 4.0.
set(CPACK_DEBIAN_PACKAGE_VERSION "${PROJECT_VERSION}+ws${Wireshark_MAJOR_VERSION}.${Wireshark_MINOR_VERSION}")
set(CPACK_DEBIAN_PACKAGE_DEPENDS
    "${_fs_abi_package} (>= ${_fs_abi_version}), ${_fs_abi_package} (<< ${Wireshark_MAJOR_VERSION}.${_fs_next_minor}~)")
set(CPACK_DEBIAN_PACKAGE_ENHANCES "tshark, wireshark")
message(STATUS "flowsplit: cpack -G DEB depends on ${CPACK_DEBIAN_PACKAGE_DEPENDS}")
include(CPack)
