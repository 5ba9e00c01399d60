import Testing
import TallyCore

@Suite struct SymbolTableTests {
    @Test func internsDensely() {
        let table = SymbolTable(expectedSymbols: 4)
        let a = table.intern("alpha")
        let b = table.intern("beta")
        #expect(a.raw == 1 && b.raw == 2)
        #expect(table.intern("alpha") == a)
        #expect(table.count == 2)
        #expect(table.string(a) == "alpha")
        #expect(table.string(.none) == "")
        let empty = table.intern("")
        #expect(!empty.isNone && table.string(empty) == "")
        #expect(table.lookup("gamma") == nil && table.count == 3)
    }

    @Test func survivesGrowthAndKeepsBytes() {
        let table = SymbolTable(expectedSymbols: 2)
        let strings = (0..<10_000).map { "resource-\($0)-\(String(repeating: "x", count: $0 % 40))" }
        let symbols = strings.map { table.intern($0) }
        #expect(Set(symbols).count == strings.count)
        for (string, symbol) in zip(strings, symbols) {
            #expect(table.lookup(string) == symbol)
            #expect(table.withBytes(symbol) { Array($0) } == Array(string.utf8))
        }
        #expect(table.intern("é") == table.intern("é"))
    }

    @Test func enumeratesNewSymbolsAndRestoresSameIds() {
        let table = SymbolTable()
        for word in ["a", "b", "c"] { _ = table.intern(word) }
        let persisted = table.count
        for word in ["d", "e"] { _ = table.intern(word) }
        var added: [(UInt32, String)] = []
        table.forEachSymbol(after: persisted) { added.append(($0.raw, String(decoding: $1, as: UTF8.self))) }
        #expect(added.map(\.0) == [4, 5] && added.map(\.1) == ["d", "e"])

        let restored = SymbolTable()
        var all: [(Symbol, [UInt8])] = []
        table.forEachSymbol(after: 0) { all.append(($0, Array($1))) }
        for (symbol, bytes) in all {
            #expect(bytes.withUnsafeBytes { restored.restore($0, as: symbol) })
        }
        #expect(restored.lookup("e") == table.lookup("e"))
        #expect(!Array("zz".utf8).withUnsafeBytes { restored.restore($0, as: Symbol(raw: 9)) })
        #expect(!Array("a".utf8).withUnsafeBytes { restored.restore($0, as: Symbol(raw: 6)) })
    }
}
