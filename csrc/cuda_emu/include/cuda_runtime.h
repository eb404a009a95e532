// The CUDA emulator stands in for the CUDA runtime (see ../emu.h).
#pragma once
#include "../emu.h"
