"""What every method and stage stands on: images, metrics, tiling, MATLAB bicubic, the inference engine, FLOPs."""
