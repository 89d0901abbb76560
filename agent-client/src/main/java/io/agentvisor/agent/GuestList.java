package io.agentvisor.agent;

import java.util.AbstractList;
import java.util.List;
import java.util.RandomAccess;

/**
 * A list from a guest agent reply, kept to a bound when the reply was parsed: the first items the guest reported, and
 * how many it reported in all. {@link #truncated()} is the visible mark that items were dropped. Immutable; equal to
 * any list with the same items (the count is not part of equality).
 */
public final class GuestList<T> extends AbstractList<T> implements RandomAccess {
    private static final GuestList<?> EMPTY = new GuestList<>(List.of(), 0);

    private final List<T> items;
    private final long reported;

    private GuestList(List<T> items, long reported) {
        this.items = items;
        this.reported = reported;
    }

    /**
     * @param kept     the items kept, in the guest's order
     * @param reported how many items the guest's reply had ({@code >= kept.size()})
     */
    public static <T> GuestList<T> of(List<T> kept, long reported) {
        List<T> copy = List.copyOf(kept);
        if (reported < copy.size()) {
            throw new IllegalArgumentException("reported " + reported + " < kept " + copy.size());
        }
        return new GuestList<>(copy, reported);
    }

    /** A list of which nothing was dropped (a copy of {@code items} unless it is a GuestList already). */
    @SuppressWarnings("unchecked")
    public static <T> GuestList<T> copyOf(List<? extends T> items) {
        if (items instanceof GuestList<?> g) {
            return (GuestList<T>) g;
        }
        return items.isEmpty() ? (GuestList<T>) EMPTY : new GuestList<>(List.copyOf(items), items.size());
    }

    @SuppressWarnings("unchecked")
    public static <T> GuestList<T> empty() {
        return (GuestList<T>) EMPTY;
    }

    /** How many items the guest reported. */
    public long reported() {
        return reported;
    }

    /** Whether items were dropped at parse time ({@link #reported()} is more than {@link #size()}). */
    public boolean truncated() {
        return reported > items.size();
    }

    @Override
    public T get(int index) {
        return items.get(index);
    }

    @Override
    public int size() {
        return items.size();
    }
}
