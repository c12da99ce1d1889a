import Testing
@testable import Corefile

/// `import` of files, globs and snippets, against real files in a temporary directory.
@Suite struct ImportTests {
    @Test("imports a file relative to the importing file's directory, with the imported file's lines")
    func importFile() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let corefile = try directory.write("Corefile", ".:53 {\n    errors\n    import common.conf\n    loop\n}\n")
        let common = try directory.write("common.conf", "# shared\ncache 30\nforward . /etc/resolv.conf {\n  max_concurrent 10\n}\n")

        let parsed = try Corefile.parse(file: corefile, options: CorefileParseOptions(environment: [:]))
        let block = try #require(parsed.serverBlocks.first)
        #expect(block.directives.map(\.name) == ["errors", "cache", "forward", "loop"])
        #expect(block.directives.map(\.location) == [
            SourceLocation(file: corefile, line: 2),
            SourceLocation(file: common, line: 2),
            SourceLocation(file: common, line: 3),
            SourceLocation(file: corefile, line: 4),
        ])
        #expect(block.directives[2].properties.first?.location == SourceLocation(file: common, line: 4))
        #expect(parsed.files == [corefile, common])
    }

    @Test("imports whole server blocks at top level, and files from a nested directory import relative to theirs")
    func topLevelAndNestedRelative() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        try directory.write("Corefile", "import zones/stub.conf\n.:53 {\n  log\n}\n")
        try directory.write("zones/stub.conf", "acme.local {\n  import plugins.conf\n}\n")
        try directory.write("zones/plugins.conf", "forward . 10.0.0.1\n")

        let parsed = try Corefile.parse(file: "\(directory.path)/Corefile", options: CorefileParseOptions(environment: [:]))
        #expect(parsed.serverBlocks.map { $0.keys.map(\.description) } == [["acme.local.:53"], [".:53"]])
        #expect(parsed.serverBlocks[0].directives.map { Shape($0) } == [Shape("forward", [".", "10.0.0.1"])])
        #expect(parsed.files.count == 3)
    }

    @Test("a glob imports every match in sorted order; a glob matching nothing only warns")
    func globs() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        try directory.write("conf.d/b.conf", "errors\n")
        try directory.write("conf.d/a.conf", "log\n")
        try directory.write("conf.d/c.txt", "whoami\n")
        let text = ". {\n  import conf.d/*.conf\n  import empty.d/*.conf\n}\n"

        let parsed = try Fixture.parse(text, directory: directory.path)
        #expect(parsed.serverBlocks.first?.directives.map(\.name) == ["log", "errors"])
        #expect(parsed.warnings.map(\.description) == ["Corefile:3: warning: no files match import glob 'empty.d/*.conf'"])
        #expect(parsed.files == ["\(directory.path)/conf.d/a.conf", "\(directory.path)/conf.d/b.conf"])
    }

    @Test("a file importing itself, or two files importing each other, is a cycle named in full")
    func fileCycles() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let corefile = try directory.write("Corefile", ". {\n  import a.conf\n}\n")
        try directory.write("a.conf", "log\nimport b.conf\n")
        try directory.write("b.conf", "errors\nimport a.conf\n")
        try directory.write("self.conf", "import self.conf\n")
        try directory.write("Root", ". {\n  import back.conf\n}\n")
        try directory.write("back.conf", "import Root\n")

        func failure(_ path: String) -> CorefileError? {
            do {
                _ = try Corefile.parse(file: path, options: CorefileParseOptions(environment: [:]))
                return nil
            } catch {
                return error
            }
        }
        #expect(failure(corefile)?.description
            == "\(directory.path)/b.conf:2: import cycle: \(corefile) → \(directory.path)/a.conf → \(directory.path)/b.conf → \(directory.path)/a.conf")
        #expect(failure(corefile)?.kind == .importFailure)

        let selfImport = Fixture.error(". {\n import self.conf\n}\n", directory: directory.path)
        #expect(selfImport?.description
            == "\(directory.path)/self.conf:1: import cycle: Corefile → \(directory.path)/self.conf → \(directory.path)/self.conf")

        let root = "\(directory.path)/Root"
        #expect(failure(root)?.description == "\(directory.path)/back.conf:1: import cycle: \(root) → \(directory.path)/back.conf → \(root)")
    }

    @Test("the same file imported twice, not in a cycle, is fine and listed once")
    func diamond() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        try directory.write("common.conf", "errors\n")
        let text = "a.org {\n  import common.conf\n}\nb.org {\n  import common.conf\n}\n"
        let parsed = try Fixture.parse(text, directory: directory.path)
        #expect(parsed.serverBlocks.map { $0.directives.map(\.name) } == [["errors"], ["errors"]])
        #expect(parsed.files == ["\(directory.path)/common.conf"])
    }

    @Test("importing a directory or a missing file is an error at the import line")
    func badTargets() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        try directory.write("sub/x.conf", "log\n")
        #expect(Fixture.error(". {\n log\n import sub\n}\n", directory: directory.path)?.description
            == "Corefile:3: cannot import '\(directory.path)/sub': is a directory")
        #expect(Fixture.error(". {\n import nope.conf\n}\n", directory: directory.path)?.description
            == "Corefile:2: cannot import 'nope.conf': no such file (\(directory.path)/nope.conf) and no snippet of that name defined before this line")
    }

    @Test("a syntax error inside an imported file names that file and line")
    func errorInImportedFile() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        try directory.write("bad.conf", "log\ncache {\n  success 10\n} 30\n")
        #expect(Fixture.error(". {\n import bad.conf\n}\n", directory: directory.path)?.description
            == "\(directory.path)/bad.conf:4: plugin/cache: unexpected '30' after '}' — expected a new line")
        try directory.write("quote.conf", "hosts \"open\n")
        #expect(Fixture.error(". {\n import quote.conf\n}\n", directory: directory.path)?.description
            == "\(directory.path)/quote.conf:1: unterminated quoted string — expected a closing '\"' before the end of the file")
    }

    @Test("an absolute import path is used as is")
    func absolutePath() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let file = try directory.write("abs.conf", "whoami\n")
        let parsed = try Fixture.parse(". {\n import \(file)\n}\n")
        #expect(parsed.serverBlocks.first?.directives.map(\.name) == ["whoami"])
    }

    @Test("the import pattern takes environment variables")
    func environmentInPattern() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        try directory.write("prod.conf", "errors\n")
        let parsed = try Fixture.parse(". {\n import {$ENV}.conf\n}\n", environment: ["ENV": "prod"], directory: directory.path)
        #expect(parsed.serverBlocks.first?.directives.map(\.name) == ["errors"])
    }
}

@Suite struct SnippetTests {
    @Test("a snippet is spliced where it is imported, keeping the snippet's own lines")
    func snippet() throws {
        let text = """
            (common) {
                errors
                cache 30 {
                    success 100
                }
            }
            a.org {
                import common
                log
            }
            b.org {
                import common
            }
            """
        let parsed = try Fixture.parse(text)
        #expect(parsed.serverBlocks.map { $0.directives.map { Shape($0).description } } == [
            ["errors", "cache 30 { success 100 }", "log"],
            ["errors", "cache 30 { success 100 }"],
        ])
        #expect(parsed.serverBlocks[0].directives.map(\.location.line) == [2, 3, 9])
        #expect(parsed.serverBlocks[1].directives[1].properties.first?.location.line == 4)
    }

    @Test("a snippet can hold whole server blocks, and snippets can import snippets")
    func snippetOfBlocks() throws {
        let text = """
            (plugins) {
                errors
            }
            (servers) {
                a.org {
                    import plugins
                }
                b.org {
                    import plugins
                }
            }
            import servers
            """
        let parsed = try Fixture.parse(text)
        #expect(parsed.serverBlocks.map { $0.keys.map(\.zone) } == [["a.org."], ["b.org."]])
        #expect(parsed.serverBlocks.map { $0.directives.map(\.name) } == [["errors"], ["errors"]])
    }

    @Test("a snippet written on one line starts its first directive on a line of its own")
    func oneLineSnippetBody() throws {
        let parsed = try Fixture.parse("(s) { whoami\n}\n. {\n  import s\n  log\n}\n")
        #expect(parsed.serverBlocks.first?.directives.map { Shape($0) } == [Shape("whoami"), Shape("log")])
    }

    @Test("a snippet inside a plugin block becomes that plugin's properties")
    func snippetInPluginBlock() throws {
        let parsed = try Fixture.parse("(limits) {\n  max_concurrent 10\n}\n. {\n  forward . 1.1.1.1 {\n    import limits\n  }\n}\n")
        let forward = try #require(parsed.serverBlocks.first?.directives.first)
        #expect(forward.properties.map { Shape($0) } == [Shape("max_concurrent", ["10"])])
        #expect(forward.properties.first?.plugin == "forward")
    }

    @Test("an empty snippet imports nothing")
    func emptySnippet() throws {
        let parsed = try Fixture.parse("(none) {\n}\n. {\n  import none\n  log\n}\n")
        #expect(parsed.serverBlocks.first?.directives.map(\.name) == ["log"])
    }

    @Test("snippet arguments ({args[0]}) are not a CoreDNS feature: the text stays as written")
    func noSnippetArguments() throws {
        let parsed = try Fixture.parse("(s) {\n  forward . {args[0]}\n}\n. {\n  import s\n}\n")
        #expect(parsed.serverBlocks.first?.directives.first?.arguments.map(\.text) == [".", "{args[0]}"])
        #expect(Fixture.error("(s) {\n  log\n}\n. {\n  import s 1.1.1.1\n}\n")?.description
            == "Corefile:5: import takes one argument (a file path, glob or snippet name) — found '1.1.1.1' after 's'")
    }
}
