import Foundation

// A Seek worker in Swift: reverses each word of `words`, one item per word (a list worker, billed per item).
// The command protocol (docs/workers.md): the input as JSON on stdin, one JSON object per line on stdout.

func emit(_ message: [String: Any]) {
    let data = try! JSONSerialization.data(withJSONObject: message, options: [.sortedKeys])
    FileHandle.standardOutput.write(data + Data("\n".utf8))
}

let input = FileHandle.standardInput.readDataToEndOfFile()
guard let job = (try? JSONSerialization.jsonObject(with: input)) as? [String: Any], let words = job["words"] as? [String] else {
    FileHandle.standardError.write(Data("the input needs words: an array of strings\n".utf8))
    exit(2)
}
for word in words {
    emit(["type": "item", "item": ["word": word, "reversed": String(word.reversed())]])
}
emit(["type": "meta", "meta": ["count": words.count]])
