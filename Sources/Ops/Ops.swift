import TFLiteCore
