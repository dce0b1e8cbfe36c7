// The ImageInput module: decoding images and preparing them as model inputs.
