/// A first-in, first-out queue that keeps its storage: once warm, appending and popping allocate
/// nothing (the array is emptied, keeping its capacity, when the last element is taken). The stack's
/// events and the packet port's outgoing packets wait in one each.
struct FIFOQueue<Element> {
    private var items: [Element] = []
    private var head = 0

    var isEmpty: Bool { head == items.count }

    mutating func append(_ element: Element) { items.append(element) }

    mutating func pop() -> Element? {
        guard head < items.count else { return nil }
        let element = items[head]
        head += 1
        if head == items.count {
            items.removeAll(keepingCapacity: true)
            head = 0
        }
        return element
    }
}
