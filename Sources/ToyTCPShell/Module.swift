// Placeholder: this module is being written (see Package.swift for its place in the layering).
