# Turns a configuration of the main project into a fuzzing build. fuzz/run.sh passes it as
# -DCMAKE_PROJECT_INCLUDE when it configures build-fuzz/ with clang++; the g++ builds never see it.
#
# Every library of ours is compiled here with -fsanitize=fuzzer-no-link (coverage feedback for
# libFuzzer) plus ASan and UBSan, with the same include paths and dependencies the normal build
# declares, because these are the same CMake targets. The flags below apply to every target of
# the configuration; fuzz/CMakeLists.txt (added here, first) creates the fuzz targets at its end.
if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
  message(FATAL_ERROR "fuzz targets need clang++ (libFuzzer); got ${CMAKE_CXX_COMPILER_ID}")
endif()

# UBSan's "function" check is left out: clang 14 cannot assemble its prefix data in coroutine
# code ("Cannot represent a difference across sections", e.g. net/http_client.cpp), and g++'s
# UBSan, which build-asan uses, has no such check either.
add_compile_options(-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize=function
                    -fno-sanitize-recover=all -fno-omit-frame-pointer -O1 -g)
add_link_options(-fsanitize=address,undefined)

add_subdirectory(${CMAKE_CURRENT_LIST_DIR} ${CMAKE_BINARY_DIR}/fuzz)
