import ArgumentParser

/// `toytcp-shell run FILE.ttcp|FILE.pkt`: runs a script (owned by the shell work; see issue 5).
struct Run: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run a .ttcp script.")
    func run() throws { throw ValidationError("scripts are not supported yet") }
}
