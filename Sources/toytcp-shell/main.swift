print("toytcp-shell")
