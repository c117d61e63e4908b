print("toytcp-bench: engine benchmarks (being written)")
