#include "exit_codes.h"
