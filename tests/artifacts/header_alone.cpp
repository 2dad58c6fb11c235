#include "tensor_ipc.h"
