"""SQLAlchemy 2 (Core and ORM) against `basalt serve` (port in argv[1]), with the psycopg and
psycopg2 dialects: create_all, the ORM tutorial's workflow, and inspect()."""

import sys
from typing import List, Optional

from sqlalchemy import ForeignKey, String, create_engine, func, inspect, select
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, relationship

PORT = int(sys.argv[1])

for driver in ("psycopg", "psycopg2"):
    eng = create_engine(f"postgresql+{driver}://basalt@127.0.0.1:{PORT}/basalt")

    class Base(DeclarativeBase):
        pass

    class User(Base):
        __tablename__ = f"user_account_{driver}"
        id: Mapped[int] = mapped_column(primary_key=True)
        name: Mapped[str] = mapped_column(String(30), index=True)
        fullname: Mapped[Optional[str]]
        addresses: Mapped[List["Address"]] = relationship(back_populates="user", cascade="all, delete-orphan")

    class Address(Base):
        __tablename__ = f"address_{driver}"
        id: Mapped[int] = mapped_column(primary_key=True)
        email_address: Mapped[str]
        user_id: Mapped[int] = mapped_column(ForeignKey(f"user_account_{driver}.id"))
        user: Mapped["User"] = relationship(back_populates="addresses")

    Base.metadata.drop_all(eng)
    Base.metadata.create_all(eng)
    with Session(eng) as s:
        s.add_all([
            User(name="spongebob", fullname="Spongebob Squarepants",
                 addresses=[Address(email_address="spongebob@sqlalchemy.org")]),
            User(name="sandy", fullname="Sandy Cheeks",
                 addresses=[Address(email_address="sandy@sqlalchemy.org"),
                            Address(email_address="sandy@squirrelpower.org")]),
            User(name="patrick", fullname="Patrick Star"),
        ])
        s.commit()
        names = [u.name for u in s.scalars(select(User).where(User.name.in_(["spongebob", "sandy"])).order_by(User.id))]
        assert names == ["spongebob", "sandy"], names
        stmt = (select(Address).join(Address.user).where(User.name == "sandy")
                .where(Address.email_address == "sandy@sqlalchemy.org"))
        sandy_address = s.scalars(stmt).one()
        sandy_address.email_address = "sandy_cheeks@sqlalchemy.org"
        s.commit()
        patrick = s.get(User, 3)
        s.delete(patrick)
        s.commit()
        counts = s.execute(select(User.name, func.count(Address.id)).outerjoin(User.addresses)
                           .group_by(User.name).order_by(User.name)).all()
        assert [tuple(r) for r in counts] == [("sandy", 2), ("spongebob", 1)], counts
        assert s.scalar(select(Address.email_address).where(Address.email_address.like("sandy_%"))) \
            == "sandy_cheeks@sqlalchemy.org"

    insp = inspect(eng)
    a, u = f"address_{driver}", f"user_account_{driver}"
    assert {a, u} <= set(insp.get_table_names())
    cols = [(c["name"], str(c["type"]), c["nullable"]) for c in insp.get_columns(u)]
    assert cols == [("id", "INTEGER", False), ("name", "VARCHAR(30)", False), ("fullname", "VARCHAR", True)], cols
    assert insp.get_pk_constraint(a)["constrained_columns"] == ["id"]
    fks = insp.get_foreign_keys(a)
    assert [(f["constrained_columns"], f["referred_table"], f["referred_columns"]) for f in fks] \
        == [(["user_id"], u, ["id"])], fks
    idx = insp.get_indexes(u)
    assert [(i["name"], i["column_names"], i["unique"]) for i in idx] == [(f"ix_{u}_name", ["name"], False)], idx

print("sqlalchemy: ok")
