package com.example.library;

import java.util.ArrayList;
import java.util.List;
import static java.util.Objects.requireNonNull;

/**
 * A lending library.
 */
public class Library {
    /** Books a member may borrow at once. */
    public static final int MAX_LOANS = 5;

    private final List<Book> books = new ArrayList<>();

    public Library(String name) {
        requireNonNull(name);
    }

    /** Adds a book to the shelves. */
    public void add(Book book) {
        books.add(book);
    }

    // Finds a book by its title, or null.
    public Book find(String title) {
        for (Book book : books) {
            if (book.title().equals(title)) {
                return book;
            }
        }
        return null;
    }

    /** A book, as the catalogue knows it. */
    public record Book(String title, String author) {}

    enum Genre {
        FICTION,
        SCIENCE
    }

    interface Loanable {
        boolean lend(Member member);
    }
}
