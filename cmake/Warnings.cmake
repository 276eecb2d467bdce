# Warnings for the project's own targets (not for imported third-party headers).
add_library(bnet_e2e_warnings INTERFACE)
target_compile_options(bnet_e2e_warnings INTERFACE -Wall -Wextra -Wno-missing-field-initializers)
if(BNET_E2E_WERROR)
  target_compile_options(bnet_e2e_warnings INTERFACE -Werror)
endif()
